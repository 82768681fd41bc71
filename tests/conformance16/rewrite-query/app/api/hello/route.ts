import type { NextRequest } from 'next/server'

export function GET(request: NextRequest) {
  const url = new URL(request.url)
  return Response.json({ url: request.url, search: url.search, next: request.nextUrl.search,
    from: request.nextUrl.searchParams.get('from'), a: request.nextUrl.searchParams.get('a'),
    x: request.nextUrl.searchParams.get('x') })
}
