import { NextResponse, type NextRequest } from 'next/server'

// The init argument of next(), redirect() and rewrite(), and what a client's own x-middleware-* headers do.
export function middleware(request: NextRequest) {
  const mode = request.nextUrl.searchParams.get('mode')
  if (mode === 'next-headers') return NextResponse.next({ headers: { 'x-from-init': 'next' } })
  if (mode === 'redirect-init') {
    return NextResponse.redirect(new URL('/api/other', request.url), { status: 301, headers: { 'x-from-init': 'redirect' } })
  }
  if (mode === 'rewrite-init') {
    return NextResponse.rewrite(new URL('/api/other', request.url), { headers: { 'x-from-init': 'rewrite' } })
  }
  if (mode === 'response-redirect') return Response.redirect(new URL('/api/other?via=response', request.url), 302)
  if (mode === 'set-cookie-header') {
    const response = NextResponse.next()
    response.headers.set('Set-Cookie', 'raw=1; Path=/; HttpOnly')
    return response
  }
  const response = NextResponse.next()
  response.headers.set('x-saw-spoof', String(request.headers.has('x-middleware-rewrite')))
  return response
}

export const config = { matcher: '/api/:path*' }
