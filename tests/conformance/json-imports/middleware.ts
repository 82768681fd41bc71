import { NextResponse, type NextRequest } from 'next/server'
import redirects from './lib/redirects.json'

// Redirects from a JSON map, as in Vercel's redirects example.
export function middleware(request: NextRequest) {
  const entry = (redirects as Record<string, { destination: string; permanent: boolean }>)[request.nextUrl.pathname]
  if (entry) return NextResponse.redirect(new URL(entry.destination, request.url), entry.permanent ? 308 : 307)
  return NextResponse.next()
}

export const config = { matcher: ['/old-blog', '/docs-v1', '/elsewhere'] }
