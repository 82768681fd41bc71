import { NextResponse, type NextRequest } from 'next/server'
import { createHash } from 'node:crypto'

// Node.js middleware (stable in 15.5): reads the POST body, signs it, and fails loudly on demand.
export async function middleware(req: NextRequest) {
  if (req.nextUrl.pathname === '/api/fail') throw new TypeError('node middleware failed')
  const body = req.method === 'POST' ? await req.text() : ''
  const res = NextResponse.next()
  res.headers.set('x-body-sha1', createHash('sha1').update(body).digest('hex').slice(0, 12))
  res.headers.set('x-runtime', String(process.env.NEXT_RUNTIME))
  return res
}

export const config = {
  runtime: 'nodejs',
  matcher: [
    { source: '/api/:path*', missing: [{ type: 'header', key: 'x-skip-mw' }] },
    { source: '/host-only', has: [{ type: 'host', value: 'localhost' }] },
  ],
}
