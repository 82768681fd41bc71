import { load } from '../../../lib/data'

export const dynamic = 'force-static'

export async function GET() {
  return Response.json({ route: 'static', ...(await load()) })
}
