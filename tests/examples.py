"""Cells from the issues' own examples, shared by the tests that run them (API, magics, export)."""

ISSUE_MIDDLEWARE = """import { NextResponse, type NextRequest } from 'next/server'
export function middleware(request: NextRequest) {
  if (!request.cookies.has('session'))
    return NextResponse.redirect(new URL('/login', request.url))
  const headers = new Headers(request.headers)
  headers.set('x-user', request.cookies.get('session')!.value)
  return NextResponse.next({ request: { headers } })
}
export const config = { matcher: ['/dashboard/:path*'] }
"""

# app/dashboard/[...slug]/route.ts: answers with what the middleware added and the params it got.
SLUG_ROUTE = """export async function GET(request: Request, { params }: { params: Promise<{ slug: string[] }> }) {
  return Response.json({ user: request.headers.get('x-user'), slug: (await params).slug })
}
"""

# app/api/stream/route.ts, the foundation issue's example: three chunks 100 ms apart.
TICKS = """export async function GET(request: Request) {
  const enc = new TextEncoder()
  const body = new ReadableStream({
    async start(c) {
      for (let i = 1; i <= 3; i++) { c.enqueue(enc.encode(`tick ${i}\\n`)); await new Promise(r => setTimeout(r, 100)) }
      c.close()
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/plain' } })
}
"""
