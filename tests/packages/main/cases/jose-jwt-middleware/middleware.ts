import { NextResponse, type NextRequest } from 'next/server'
import { jwtVerify, errors } from 'jose'
import { secret } from './lib/secret'

export async function middleware(request: NextRequest) {
  const token = request.cookies.get('token')?.value
  if (!token) return NextResponse.redirect(new URL('/login', request.url))
  try {
    const { payload, protectedHeader } = await jwtVerify(token, secret, { algorithms: ['HS256'] })
    const headers = new Headers(request.headers)
    headers.set('x-user', String(payload.sub))
    const response = NextResponse.next({ request: { headers } })
    response.headers.set('x-jwt-alg', protectedHeader.alg)
    return response
  } catch (error) {
    const code = error instanceof errors.JOSEError ? error.code : 'not-jose'
    return NextResponse.json({ error: code, expired: error instanceof errors.JWTExpired }, { status: 401 })
  }
}

export const config = { matcher: '/dashboard/:path*' }
