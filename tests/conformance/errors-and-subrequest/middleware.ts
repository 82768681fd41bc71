import { NextResponse, type NextRequest } from 'next/server'

// Middleware that must run even when a client sends the internal recursion header.
export function middleware(req: NextRequest) {
  if (req.nextUrl.pathname === '/api/mw-undefined') return undefined as any
  if (req.nextUrl.pathname === '/api/mw-not-response') return { status: 200 } as any
  const res = NextResponse.next()
  res.headers.set('x-mw-ran', '1')
  res.headers.set('x-subrequest-seen', String(req.headers.get('x-middleware-subrequest')))
  return res
}

export const config = { matcher: '/api/:path*' }
