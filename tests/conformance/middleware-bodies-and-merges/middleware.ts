import { NextResponse, type NextRequest, type NextFetchEvent } from 'next/server'

// A body written by middleware after it returns, a challenge, two cookies, and headers that collide with the route's.
export function middleware(request: NextRequest, event: NextFetchEvent) {
  const { pathname, searchParams } = request.nextUrl
  if (pathname === '/api/streamed') {
    const { readable, writable } = new TransformStream()
    const writer = writable.getWriter()
    const encoder = new TextEncoder()
    event.waitUntil((async () => {
      await writer.write(encoder.encode('written '))
      await writer.write(encoder.encode('later'))
      await writer.close()
    })())
    return new Response(readable, { headers: { 'content-type': 'text/plain' } })
  }
  if (pathname === '/api/challenge') {
    return new Response('who are you?', { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="shop"' } })
  }
  if (pathname === '/api/two-cookies') {
    const headers = new Headers()
    headers.append('set-cookie', 'one=1; Path=/')
    headers.append('set-cookie', 'two=2; Path=/')
    return new Response(null, { headers })
  }
  const response = NextResponse.next()
  response.headers.set('x-dup', 'middleware')
  response.headers.append('x-list', 'middleware')
  if (searchParams.has('cookie')) response.headers.append('set-cookie', 'mw=1; Path=/')
  response.headers.set('content-type', 'text/html')
  response.headers.set('cache-control', 'no-store')
  return response
}

export const config = { matcher: '/api/:path*' }
