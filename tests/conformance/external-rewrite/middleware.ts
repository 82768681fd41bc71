import { NextResponse, type NextRequest } from 'next/server'

// Rewrites to another origin are proxied by next start. The server itself stands in for the other origin:
// 127.0.0.1 with its port is not the origin it serves (localhost), so Next forwards the request over HTTP.
export function middleware(request: NextRequest) {
  const { pathname, search, port } = request.nextUrl
  const elsewhere = (path: string) => new URL(path, `http://127.0.0.1:${port}`)
  if (pathname.startsWith('/proxy/')) {
    const response = NextResponse.rewrite(elsewhere(pathname.replace('/proxy/', '/echo/') + search), {
      headers: { 'x-from-middleware': 'rewrite' },
    })
    response.cookies.set('mw', '1')
    return response
  }
  if (pathname === '/proxy-with-headers') {
    const headers = new Headers(request.headers)
    headers.set('x-added', 'by-middleware')
    return NextResponse.rewrite(elsewhere('/echo/with-headers'), { request: { headers } })
  }
  if (pathname === '/proxy-missing') return NextResponse.rewrite(elsewhere('/nowhere'))
  if (pathname === '/proxy-redirect') return NextResponse.rewrite(elsewhere('/redirecting'))
  const response = NextResponse.next()
  response.headers.set('x-inner-middleware', `${request.headers.get('host')} ${pathname}`)
  return response
}
