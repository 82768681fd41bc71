import { cookies } from 'next/headers'
import { NextResponse, type NextRequest } from 'next/server'

export async function middleware(request: NextRequest) {
  const { pathname } = request.nextUrl
  if (pathname === '/api/store-cookies') {
    const jar = await cookies()
    jar.set('mw-store', 'x')
    jar.delete('mw-store-gone')
    const response = NextResponse.next()
    response.cookies.set('mw-response', 'y')
    return response
  }
  if (pathname === '/locale') {
    const url = request.nextUrl.clone()
    url.pathname = '/de/'
    return NextResponse.redirect(url)
  }
  if (pathname === '/locale-rewrite') {
    const url = request.nextUrl.clone()
    url.pathname = '/de/'
    return NextResponse.rewrite(url)
  }
  if (pathname === '/href') {
    const url = request.nextUrl.clone()
    url.pathname = '/shop/'
    return NextResponse.json({ href: url.href, pathname: url.pathname, string: String(url) })
  }
  const response = NextResponse.next()
  if (pathname === '/api/cookies') {
    response.cookies.set('mw-first', '1')
    response.cookies.set('mw-second', '2', { httpOnly: true })
    response.cookies.delete('mw-gone')
    response.headers.append('set-cookie', 'mw-raw=3; Path=/')
  }
  response.headers.set('x-mw-ran', pathname)
  response.headers.set('x-mw-rsc', String(request.headers.get('rsc')))
  return response
}

// The docs' Content-Security-Policy matcher: skip prefetches and router requests.
export const config = {
  matcher: [
    {
      source: '/csp/:path*',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
    { source: '/rsc-only/:path*', has: [{ type: 'header', key: 'rsc', value: '1' }] },
    { source: '/tree/:path*', has: [{ type: 'header', key: 'next-router-state-tree' }] },
    '/locale',
    '/locale-rewrite',
    '/href',
    '/api/cookies',
    '/api/store-cookies',
  ],
}
