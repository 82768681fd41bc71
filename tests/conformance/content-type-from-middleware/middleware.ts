import { NextResponse, type NextRequest } from 'next/server'

// A content type set by middleware on next(), in front of routes that set none, or their own.
export function middleware(request: NextRequest) {
  const response = NextResponse.next()
  if (request.nextUrl.searchParams.has('typed')) response.headers.set('content-type', 'text/html; charset=utf-8')
  return response
}

export const config = { matcher: '/api/:path*' }
