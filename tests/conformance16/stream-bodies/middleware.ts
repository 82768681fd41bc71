import { NextResponse, type NextRequest } from 'next/server'

export function middleware(request: NextRequest) {
  if (request.nextUrl.pathname === '/old-page') return NextResponse.rewrite(new URL('/page-that-is-gone', request.url))
  if (request.nextUrl.pathname === '/mw-empty') return new NextResponse(null, { status: 204 })
  const response = NextResponse.next()
  response.headers.set('x-mw', '1')
  return response
}

export const config = { matcher: ['/old-page', '/mw-empty', '/api/no-content'] }
