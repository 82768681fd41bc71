import { cookies, headers } from 'next/headers'
import type { NextRequest } from 'next/server'

export async function GET(request: NextRequest) {
  const jar = await cookies()
  const incoming = await headers()
  return Response.json({
    url: request.url,
    cookie: incoming.get('cookie'),
    names: jar.getAll().map((c) => c.name),
    token: request.cookies.get('sb-token')?.value ?? null,
    locale: incoming.get('x-locale'),
    lang: request.nextUrl.searchParams.get('lang'),
  })
}
