import { NextResponse, type NextRequest } from 'next/server'

// Strip a client header, replace another, add one; the route must see exactly that.
export function middleware(req: NextRequest) {
  const headers = new Headers(req.headers)
  headers.delete('x-remove-me')
  headers.set('x-replace-me', 'replaced')
  headers.set('x-added', 'by-middleware')
  const res = NextResponse.next({ request: { headers } })
  res.headers.set('x-response-only', 'yes')
  return res
}

export const config = { matcher: '/api/:path*' }
