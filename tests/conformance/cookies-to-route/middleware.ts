import { NextResponse, type NextRequest } from 'next/server'

// Cookies set by middleware reach the route as request cookies (x-middleware-set-cookie).
export function middleware(req: NextRequest) {
  const res = NextResponse.next()
  res.cookies.set('theme', 'dark')
  if (req.cookies.has('stale')) res.cookies.delete('stale')
  res.cookies.set({ name: 'visit', value: 'a b;c', path: '/api', secure: true })
  return res
}

export const config = { matcher: '/api/:path*' }
