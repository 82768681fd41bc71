import { roundTrip } from '../../../lib/jwt'

export const dynamic = 'force-dynamic'

export async function GET() {
  return Response.json(await roundTrip('node'))
}
