import { cookies, headers } from 'next/headers'
import type { NextRequest } from 'next/server'

export const dynamic = 'force-static'

// What a force-static handler sees of its request at build: Next empties the request data.
export async function GET(request: NextRequest) {
  const h = await headers()
  const c = await cookies()
  return Response.json({
    url: request.url,
    search: request.nextUrl.search,
    q: request.nextUrl.searchParams.get('q'),
    headerCount: [...request.headers].length,
    ua: request.headers.get('user-agent'),
    cookieCount: request.cookies.getAll().length,
    nextHeaders: [...h].length,
    nextCookies: c.getAll().length,
    phase: process.env.NEXT_PHASE ?? null,
  })
}
