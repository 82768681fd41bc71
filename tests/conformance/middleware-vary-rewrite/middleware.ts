import { NextResponse, type NextRequest } from 'next/server'

// A language rewrite that declares what it depends on, and the same header on a plain next().
export function middleware(request: NextRequest) {
  if (request.nextUrl.pathname.startsWith('/api/')) {
    const response = NextResponse.next()
    response.headers.set('vary', 'accept-language')
    response.headers.set('x-mw', 'next')
    return response
  }
  if (request.nextUrl.pathname === '/about') {
    const wanted = (request.headers.get('accept-language') ?? 'en').slice(0, 2)
    const response = NextResponse.rewrite(new URL(`/${wanted}/about`, request.url))
    response.headers.set('vary', 'accept-language')
    response.headers.set('x-mw', 'rewrite')
    return response
  }
}

export const config = { matcher: ['/about', '/api/:path*', '/:locale/about'] }
