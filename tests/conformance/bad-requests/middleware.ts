import { NextResponse, type NextRequest } from 'next/server'

export function middleware(request: NextRequest) {
  if (request.nextUrl.pathname === '/mw/urls') {
    const errors: Record<string, string> = {}
    try {
      new Request('/x')
    } catch (error) {
      errors.request = (error as Error).message
    }
    try {
      Response.redirect('/x')
    } catch (error) {
      errors.redirect = (error as Error).message
    }
    return NextResponse.json(errors)
  }
  const response = NextResponse.next()
  response.headers.set('x-mw', '1')
  return response
}
