import { NextResponse, type NextRequest } from 'next/server'
import Negotiator from 'negotiator'
import { match } from '@formatjs/intl-localematcher'

const locales = ['en-US', 'fr', 'de', 'pt-BR']
const defaultLocale = 'en-US'

function locale(request: NextRequest) {
  const languages = new Negotiator({ headers: { 'accept-language': request.headers.get('accept-language') ?? '' } }).languages()
  return match(languages, locales, defaultLocale)
}

export function middleware(request: NextRequest) {
  const { pathname } = request.nextUrl
  if (locales.some((l) => pathname === `/${l}` || pathname.startsWith(`/${l}/`))) return NextResponse.next()
  const url = request.nextUrl.clone()
  url.pathname = `/${locale(request)}${pathname}`
  return NextResponse.redirect(url)
}

export const config = { matcher: ['/((?!api|_next).*)'] }
