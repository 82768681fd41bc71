import { NextResponse, type NextRequest } from 'next/server'

// Multi-tenant style: /s/<site>/... is served by app/%5Fsites/[site].
export function middleware(request: NextRequest) {
  const found = request.nextUrl.pathname.match(/^\/s\/([^/]+)$/)
  if (!found) return NextResponse.next()
  const url = request.nextUrl.clone()
  url.pathname = `/_sites/${found[1]}`
  return NextResponse.rewrite(url)
}

export const config = { matcher: ['/s/:path*'] }
