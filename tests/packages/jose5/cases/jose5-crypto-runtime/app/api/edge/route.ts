import { roundTrip } from '../../../lib/jwt'

export const runtime = 'edge'

export async function GET() {
  return Response.json(await roundTrip('edge'))
}
