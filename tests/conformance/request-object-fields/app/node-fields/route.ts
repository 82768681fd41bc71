import type { NextRequest } from 'next/server'
import { fields } from '../../lib/fields'

export function GET(request: NextRequest) {
  return Response.json(fields(request))
}

export { GET as POST }
