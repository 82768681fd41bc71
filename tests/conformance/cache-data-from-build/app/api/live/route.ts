import { load } from '../../../lib/data'

export const dynamic = 'force-dynamic'

export async function GET() {
  return Response.json({ route: 'live', ...(await load()) })
}
