import { NextResponse, type NextRequest } from 'next/server'

// Rewrites into the non-ASCII folders, and says which pathname middleware saw.
export function middleware(request: NextRequest) {
  const seen = { 'x-mw-pathname': encodeURIComponent(request.nextUrl.pathname) }
  const targets: Record<string, string> = { '/to-cafe': '/café', '/to-japan': '/日本/東京' }
  const target = targets[request.nextUrl.pathname]
  if (target) return NextResponse.rewrite(new URL(target, request.url), { headers: seen })
  return NextResponse.next({ headers: seen })
}
