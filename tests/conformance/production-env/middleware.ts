import { NextResponse, type NextRequest } from 'next/server'

// Edge middleware reads the production environment: NODE_ENV, NEXT_PUBLIC_ values, the .env files.
export function middleware(request: NextRequest) {
  const response = NextResponse.next()
  response.headers.set('x-mw-node-env', String(process.env.NODE_ENV))
  response.headers.set('x-mw-public', String(process.env.NEXT_PUBLIC_SITE_NAME))
  response.headers.set('x-mw-shared', String(process.env.SHARED))
  response.headers.set('x-mw-runtime', String(process.env.NEXT_RUNTIME))
  return response
}

export const config = { matcher: '/api/:path*' }
