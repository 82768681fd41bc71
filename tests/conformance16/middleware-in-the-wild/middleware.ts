import { NextResponse, type NextRequest } from 'next/server'

// Patterns from middleware as apps write it: an auth client's cookie refresh, locale negotiation, a JSON
// block, cookies removed before the route, several cookies set at once, an empty answer, a relative redirect.
export function middleware(request: NextRequest) {
  const mode = request.nextUrl.searchParams.get('mode')
  if (mode === 'refresh') {
    request.cookies.set('sb-token', 'fresh')
    const response = NextResponse.next({ request })
    response.cookies.set('sb-token', 'fresh', { path: '/', sameSite: 'lax', maxAge: 3600 })
    return response
  }
  if (mode === 'locale') {
    const wanted = (request.headers.get('accept-language') ?? '').split(',').map((part) => part.split(';')[0].trim())
    const locale = wanted.map((tag) => new Intl.Locale(tag).language).find((lang) => ['en', 'fr', 'de'].includes(lang)) ?? 'en'
    const headers = new Headers(request.headers)
    headers.set('x-locale', locale)
    const response = NextResponse.rewrite(new URL(`/api/echo?lang=${locale}`, request.url), { request: { headers } })
    response.headers.set('content-language', locale)
    return response
  }
  if (mode === 'block') return NextResponse.json({ blocked: true }, { status: 403, headers: { 'x-why': 'mode' } })
  if (mode === 'forget') {
    request.cookies.delete('a')
    return NextResponse.next({ request: { headers: request.headers } })
  }
  if (mode === 'cookies') {
    const response = NextResponse.next()
    response.cookies.set('one', '1')
    response.cookies.set({ name: 'two', value: '2', httpOnly: true, secure: true })
    response.headers.append('set-cookie', 'three=3; Path=/')
    response.cookies.delete('gone')
    return response
  }
  if (mode === 'empty') return new Response(null, { status: 204 })
  if (mode === 'relative') return NextResponse.redirect('/api/echo')
  return NextResponse.next()
}

export const config = { matcher: '/api/:path*' }
