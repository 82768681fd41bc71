import { NextResponse, type NextRequest } from 'next/server'

// A Next 15 middleware kept in a Next 16 app: still edge, still works (with a deprecation warning).
export function middleware(req: NextRequest) {
  const { pathname } = req.nextUrl
  if (pathname === '/boom') throw new Error('middleware bug')
  if (pathname === '/short') return NextResponse.rewrite(new URL('/api/target?from=short', req.url))
  const res = NextResponse.next()
  res.headers.set('x-mw-runtime', String(process.env.NEXT_RUNTIME))
  res.cookies.set('seen', pathname)
  return res
}

export const config = { matcher: ['/boom', '/short', '/api/:path*'] }
