import { NextResponse, type NextRequest } from 'next/server'

// A rewrite to another origin is proxied by next start. The other origin is the tests' echo server (tests/backend.py),
// which the recorder and the tests start at BACKEND_ORIGIN; nothing listens on port 1 of 127.0.0.1.
export function middleware(request: NextRequest) {
  const backend = process.env.BACKEND_ORIGIN as string
  const { pathname, search } = request.nextUrl
  if (pathname === '/with-headers') {
    const headers = new Headers(request.headers)
    headers.set('x-added', 'by-middleware')
    headers.delete('x-dropped')
    return NextResponse.rewrite(new URL('/echo/with-headers', backend), { request: { headers } })
  }
  if (pathname === '/unreachable') return NextResponse.rewrite('http://127.0.0.1:1/nothing-listens')
  const response = NextResponse.rewrite(new URL(pathname + search, backend), { headers: { 'x-from-middleware': 'yes' } })
  response.cookies.set('mw', '1')
  return response
}
