import { NextResponse, userAgent, type NextRequest } from 'next/server'

const LOCALES = ['en', 'de', 'fr']
const CORS = {
  'Access-Control-Allow-Origin': 'https://app.example',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization',
}

// Patterns from public edge-middleware examples: bots, CORS, geolocation, locale negotiation, maintenance.
export function middleware(request: NextRequest) {
  const { pathname } = request.nextUrl
  if (userAgent(request).isBot) return new NextResponse('no bots', { status: 403 })

  if (pathname.startsWith('/api/')) {
    if (request.method === 'OPTIONS') return new NextResponse(null, { status: 204, headers: CORS })
    const response = NextResponse.next()
    for (const [name, value] of Object.entries(CORS)) response.headers.set(name, value)
    return response
  }

  if (pathname === '/where') {
    const country = (request.headers.get('x-vercel-ip-country') ?? 'us').toLowerCase()
    return NextResponse.rewrite(new URL(`/country/${country}`, request.url))
  }

  if ((process.env.MAINTENANCE_PATHS ?? '').split(',').includes(pathname)) {
    return NextResponse.rewrite(new URL('/maintenance', request.url), { status: 503 })
  }

  if (LOCALES.some((locale) => pathname === `/${locale}` || pathname.startsWith(`/${locale}/`))) return
  const wanted = (request.headers.get('accept-language') ?? '').split(',').map((part) => part.split(';')[0].trim().slice(0, 2))
  const locale = wanted.find((code) => LOCALES.includes(code)) ?? 'en'
  request.nextUrl.pathname = `/${locale}${pathname}`
  return NextResponse.redirect(request.nextUrl)
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|maintenance|country).*)'],
}
