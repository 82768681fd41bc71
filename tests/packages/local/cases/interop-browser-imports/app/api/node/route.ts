import { probe } from '../../../lib/probe'

export const dynamic = 'force-dynamic'

export function GET() {
  return Response.json(probe())
}
