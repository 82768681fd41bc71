import { NextResponse, after, type NextFetchEvent, type NextRequest } from 'next/server'

let waited = 0
let afterRuns = 0

// waitUntil and after() in middleware: the work runs after the response; later requests see it.
export function middleware(req: NextRequest, event: NextFetchEvent) {
  event.waitUntil(Promise.resolve().then(() => { waited++ }))
  after(() => { afterRuns++ })
  const res = NextResponse.next()
  res.headers.set('x-waited', String(waited))
  res.headers.set('x-after-runs', String(afterRuns))
  return res
}

export const config = { matcher: '/api/:path*' }
