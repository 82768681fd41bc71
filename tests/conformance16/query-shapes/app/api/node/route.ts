import type { NextRequest } from 'next/server'

export function GET(request: NextRequest) {
  return Response.json({ url: new URL(request.url).search, next: request.nextUrl.search,
    entries: [...request.nextUrl.searchParams.entries()] })
}
