import { NextResponse, type NextRequest } from 'next/server'

// Redirects that carry a query: Next's own (trailing slash, repeated slashes) and middleware's from nextUrl.
export function middleware(request: NextRequest) {
  if (request.nextUrl.searchParams.get('go') === 'clone') {
    const url = request.nextUrl.clone()
    url.pathname = '/api/show'
    url.searchParams.delete('go')
    return NextResponse.redirect(url)
  }
  return NextResponse.next()
}

export const config = { matcher: '/api/:path*' }
