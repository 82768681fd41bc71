import { NextResponse, type NextRequest } from 'next/server'

export function middleware(request: NextRequest) {
  if (request.nextUrl.pathname === '/go') return NextResponse.redirect(new URL('/echo?from=go', request.url))
  if (request.nextUrl.pathname === '/go-next-url') {
    const url = request.nextUrl.clone()
    url.pathname = '/echo'
    return NextResponse.redirect(url)
  }
  return NextResponse.next({ headers: { 'x-middleware-url': request.url, 'x-middleware-host': request.nextUrl.host } })
}
