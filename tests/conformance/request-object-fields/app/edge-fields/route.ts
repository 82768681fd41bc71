import type { NextRequest } from 'next/server'
import { fields } from '../../lib/fields'

export const runtime = 'edge'

export function GET(request: NextRequest) {
  return Response.json(fields(request))
}
