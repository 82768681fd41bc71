import { NextResponse, type NextRequest } from 'next/server'

// Every way a Next 16 proxy can end a request, one path each.
export function proxy(req: NextRequest) {
  const { pathname } = req.nextUrl
  if (pathname === '/boom') throw new Error('proxy bug')
  if (pathname === '/old') return NextResponse.rewrite(new URL('/api/items/9?src=old', req.url))
  if (pathname === '/moved') return NextResponse.redirect(new URL('/api/items/1', req.url), 308)
  if (pathname === '/away') return NextResponse.redirect('https://example.com/x')
  if (pathname === '/login') {
    const res = NextResponse.redirect(new URL('/api/items/1', req.url))
    res.cookies.set('session', 'bob', { httpOnly: true, maxAge: 600 })
    return res
  }
  if (pathname === '/deny') return NextResponse.json({ error: 'denied' }, { status: 403 })
  const res = NextResponse.next()
  res.headers.set('x-proxy', 'ran')
  res.headers.set('vary', 'x-proxy')
  return res
}
