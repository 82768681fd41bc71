import { NextResponse, type NextRequest } from 'next/server'

// What middleware sees of odd paths: its pathname, and whether it ran at all.
export function middleware(request: NextRequest) {
  const response = NextResponse.next()
  response.headers.set('x-mw-path', request.nextUrl.pathname)
  return response
}

export const config = { matcher: '/api/:path*' }
