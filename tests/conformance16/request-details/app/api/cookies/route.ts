import { cookies } from 'next/headers'
import { NextResponse } from 'next/server'

// Cookies written three ways by a route, after middleware wrote its own.
export async function GET() {
  const jar = await cookies()
  jar.set('route-store', 'a')
  jar.delete('route-store-gone')
  const response = NextResponse.json({ ok: true })
  response.cookies.set('route-response', 'b', { maxAge: 60 })
  response.cookies.delete('route-response-gone')
  response.headers.append('set-cookie', 'route-raw=c; Path=/')
  return response
}
