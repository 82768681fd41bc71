import { NextResponse, type NextRequest } from 'next/server'

// What a middleware's changes to its own request do, and redirects out of the app.
export function middleware(request: NextRequest) {
  const mode = request.nextUrl.searchParams.get('mode')
  if (mode === 'mutate-only') {
    request.headers.set('x-mutated', 'yes')
    return NextResponse.next()
  }
  if (mode === 'mutate-and-pass') {
    request.headers.set('x-mutated', 'yes')
    request.headers.delete('x-drop-me')
    return NextResponse.next({ request })
  }
  if (mode === 'nexturl-rewrite') {
    const url = request.nextUrl
    url.pathname = '/api/items/42'
    url.searchParams.set('via', 'nexturl')
    url.searchParams.delete('mode')
    return NextResponse.rewrite(url)
  }
  if (mode === 'external') return NextResponse.redirect('https://example.com/path?x=1', 308)
  if (mode === 'protocol-relative') return NextResponse.redirect(new URL('//example.org/y', request.url))
  return NextResponse.next()
}

export const config = { matcher: '/api/:path*' }
