import { probe } from '../../../lib/probe'

export const runtime = 'edge'

export function GET() {
  return Response.json(probe())
}
