import { NextResponse, type NextRequest } from 'next/server'

export function middleware(request: NextRequest) {
  const { pathname } = request.nextUrl
  if (pathname.startsWith('/old/')) {
    const url = request.nextUrl.clone()
    url.pathname = pathname.replace('/old/', '/api/')
    url.searchParams.set('from', 'old')
    return NextResponse.rewrite(url)
  }
  if (pathname === '/only-new-query') return NextResponse.rewrite(new URL('/api/hello?a=2', request.url))
  return NextResponse.next()
}

export const config = { matcher: ['/old/:path*', '/only-new-query'] }
