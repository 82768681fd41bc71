import { NextResponse, type NextRequest } from 'next/server'

export function middleware(request: NextRequest) {
  const response = NextResponse.rewrite(new URL('/api/static', request.url))
  response.headers.set('x-mw', 'rewrote')
  return response
}

export const config = { matcher: '/promo' }
