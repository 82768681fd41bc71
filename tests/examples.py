"""The pipeline issue's own example, shared by the tests that run it (API, magics, export to real Next.js)."""

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
