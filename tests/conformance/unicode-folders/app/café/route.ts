import type { NextRequest } from 'next/server'

// A folder whose name is not ASCII: which spellings of /café reach it, and what the route sees.
export function GET(request: NextRequest) {
  return Response.json({ route: 'café', url: request.url, pathname: request.nextUrl.pathname })
}
