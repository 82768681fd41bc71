import { NextResponse, type NextRequest } from 'next/server'

// How a query reaches middleware and routes: the URL's search, and nextUrl's.
export function middleware(request: NextRequest) {
  const response = NextResponse.next()
  response.headers.set('x-mw-url-search', new URL(request.url).search)
  response.headers.set('x-mw-next-search', request.nextUrl.search)
  return response
}

export const config = { matcher: '/api/:path*' }
