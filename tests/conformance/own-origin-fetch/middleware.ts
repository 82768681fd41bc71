import { NextResponse, type NextRequest } from 'next/server'

// Middleware that calls its own app over fetch, as real apps do for auth or feature lookups.
export async function middleware(request: NextRequest) {
  const { pathname } = request.nextUrl
  if (pathname === '/mw/proxy') {
    const inner = await fetch(new URL('/api/echo?via=middleware', request.url), { headers: { 'x-extra': 'from-middleware' } })
    return NextResponse.json({ status: inner.status, type: inner.headers.get('content-type'), data: await inner.json() })
  }
  if (pathname === '/mw/follow') {
    const inner = await fetch(new URL('/api/go', request.url))
    return NextResponse.json({ status: inner.status, redirected: inner.redirected, url: inner.url, data: await inner.json() })
  }
  if (pathname === '/mw/manual') {
    const inner = await fetch(new URL('/api/go', request.url), { redirect: 'manual' })
    return NextResponse.json({ status: inner.status, location: inner.headers.get('location') })
  }
  if (pathname === '/mw/post') {
    const inner = await fetch(new URL('/api/post-echo', request.url), { method: 'POST', body: 'ping', headers: { 'content-type': 'text/plain' } })
    return new Response(await inner.text(), { status: inner.status })
  }
  const response = NextResponse.next()
  response.headers.set('x-mw-saw', pathname)
  return response
}

export const config = { matcher: ['/mw/:path*', '/api/:path*'] }
