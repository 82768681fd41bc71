import { NextResponse, type NextRequest } from 'next/server'

// Middleware as a default export, async, with a matcher object.
export default async function proxyLike(request: NextRequest) {
  await Promise.resolve()
  if (request.nextUrl.pathname === '/api/hi' && request.method === 'DELETE') {
    return NextResponse.json({ error: 'no' }, { status: 405, headers: { allow: 'GET' } })
  }
  const response = NextResponse.next()
  response.headers.set('x-default-export', request.method)
  return response
}

export const config = { matcher: [{ source: '/api/:path*' }] }
