import { NextResponse, type NextRequest } from 'next/server'

// Login sets a cookie on the redirect; logout deletes it; 308 and 301 redirects; invalid redirects throw.
export function middleware(req: NextRequest) {
  const { pathname } = req.nextUrl
  if (pathname === '/login') {
    const res = NextResponse.redirect(new URL('/account', req.url))
    res.cookies.set('session', 'alice', { httpOnly: true, path: '/', sameSite: 'strict', maxAge: 3600 })
    res.cookies.set('flash', 'welcome back')
    return res
  }
  if (pathname === '/logout') {
    const res = NextResponse.redirect(new URL('/', req.url), 303)
    res.cookies.delete('session')
    return res
  }
  if (pathname === '/moved') return NextResponse.redirect(new URL('/account?from=moved', req.url), 308)
  if (pathname === '/old-home') return NextResponse.redirect('https://example.com/home', 301)
  if (pathname === '/bad-status') return NextResponse.redirect(new URL('/', req.url), 200)
  if (pathname === '/relative') return NextResponse.redirect('/account')
  return NextResponse.next()
}

export const config = { matcher: ['/login', '/logout', '/moved', '/old-home', '/bad-status', '/relative', '/account'] }
