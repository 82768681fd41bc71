import { NextResponse, type NextRequest } from 'next/server'

// Old URLs are rewritten to new ones; middleware runs once per request, whatever the rewrite.
export function middleware(req: NextRequest) {
  const { pathname, search } = req.nextUrl
  if (pathname.startsWith('/old/')) {
    const res = NextResponse.rewrite(new URL(`/new/${pathname.slice(5)}${search}`, req.url))
    res.headers.set('x-rewritten-from', pathname)
    return res
  }
  if (pathname === '/loop') return NextResponse.rewrite(new URL('/old/loop', req.url))
  if (pathname === '/nowhere') return NextResponse.rewrite(new URL('/missing/page', req.url))
  const res = NextResponse.next()
  res.headers.set('x-mw-saw', pathname)
  return res
}

export const config = { matcher: ['/old/:path*', '/loop', '/nowhere', '/new/:path*'] }
