import { NextRequest, NextResponse } from 'next/server'

// What middleware code meets when it errs, each error answered as a header.
const attempts: Record<string, () => unknown> = {
  '/relative-url': () => new URL('/relative'),
  '/relative-request': () => fetch(new Request('/elsewhere')),
  '/relative-response-redirect': () => Response.redirect('/elsewhere'),
  '/relative-next-redirect': () => NextResponse.redirect('/elsewhere'),
  '/relative-next-rewrite': () => NextResponse.rewrite('/elsewhere'),
  '/relative-next-request': () => fetch(new NextRequest('/elsewhere')),
  '/refused-fetch': () => fetch(new URL('http://localhost:9/')),
  '/aborted-fetch': () => {
    const controller = new AbortController()
    controller.abort()
    return fetch('https://example.com', { signal: controller.signal })
  },
  '/timeout-reason': () => {
    const controller = new AbortController()
    controller.abort(new Error('gave up'))
    return fetch('https://example.com', { signal: controller.signal })
  },
  '/bad-header': () => new Headers({ 'bad header': 'x' }),
  '/bad-status': () => new Response(null, { status: 99 }),
  '/json-cycle': () => {
    const value: Record<string, unknown> = {}
    value.self = value
    return NextResponse.json(value)
  },
}

export async function middleware(request: NextRequest) {
  const { pathname } = request.nextUrl
  if (pathname === '/webcrypto') {
    const algorithm = { name: 'RSA-PSS', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
    const pair = await crypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])
    return new NextResponse(null, { headers: { made: Object.keys(pair).sort().join(',') } })
  }
  const attempt = attempts[pathname]
  if (!attempt) return NextResponse.next()
  try {
    await attempt()
    return new NextResponse(null, { headers: { outcome: 'no error' } })
  } catch (error) {
    const { name, message } = error as Error
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? ''
    return new NextResponse(null, { headers: { outcome: `${name}: ${message}`, cause: cause.replace(/\s+/g, ' ') } })
  }
}
