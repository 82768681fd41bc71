import { NextResponse, type NextRequest } from 'next/server'

// Responses middleware sends itself: empty, streamed, a location without 3xx, Response.redirect, null.
export function middleware(req: NextRequest) {
  switch (req.nextUrl.pathname) {
    case '/r/empty':
      return new Response(null, { status: 204, headers: { 'x-kind': 'empty' } })
    case '/r/stream': {
      const enc = new TextEncoder()
      const body = new ReadableStream({
        start(c) { c.enqueue(enc.encode('one,')); c.enqueue(enc.encode('two')); c.close() },
      })
      return new Response(body, { headers: { 'content-type': 'text/csv' } })
    }
    case '/r/location-200':
      return new Response('see elsewhere', { status: 200, headers: { location: '/somewhere' } })
    case '/r/web-redirect':
      return Response.redirect(new URL('/r/target', req.url), 302)
    case '/r/no-transform':
      return new Response('raw', { headers: { 'content-type': 'text/plain', 'cache-control': 'no-transform' } })
    case '/r/length':
      return new Response('sized', { headers: { 'content-length': '5', 'x-kind': 'sized' } })
    default:
      return null
  }
}

export const config = { matcher: '/r/:path*' }
