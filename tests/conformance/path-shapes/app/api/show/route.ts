import type { NextRequest } from 'next/server'

export function GET(request: NextRequest) {
  return Response.json({ path: request.nextUrl.pathname, search: request.nextUrl.search })
}
