import { NextResponse, type NextRequest } from 'next/server'

// The docs' negative-lookahead matcher, plus a decoded-path match.
export function middleware(req: NextRequest) {
  const res = NextResponse.next()
  res.headers.set('x-mw-path', req.nextUrl.pathname)
  return res
}

export const config = {
  matcher: ['/((?!api|_next/static|_next/image|favicon.ico).*)', '/api/caf\u00e9'],
}
