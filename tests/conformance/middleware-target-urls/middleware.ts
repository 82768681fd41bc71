import { NextResponse, type NextRequest } from 'next/server'

// Rewrite and redirect targets written as plain URLs: Next reads each as a NextURL.
export function middleware(request: NextRequest) {
  const { pathname, port } = request.nextUrl
  const own = (path: string) => new URL(path, request.url)
  switch (pathname) {
    case '/rewrite-slash': return NextResponse.rewrite(own('/target/'))
    case '/rewrite-slash-query': return NextResponse.rewrite(own('/target/deep/?x=1'))
    case '/rewrite-loopback': return NextResponse.rewrite(`http://127.0.0.1:${port}/target/loop`)
    case '/redirect-slash': return NextResponse.redirect(own('/target/?x=1'))
    case '/redirect-loopback': return NextResponse.redirect(`http://127.0.0.1:${port}/target/b`)
    case '/redirect-ipv6': return NextResponse.redirect(`http://[::1]:${port}/target/c/`)
    case '/redirect-other-port': return NextResponse.redirect('http://127.0.0.1:4000/target/')
    case '/redirect-other-host': return NextResponse.redirect('https://example.com/path/127.0.0.1/')
    case '/redirect-root-slash': return NextResponse.redirect(own('/?y=2'))
  }
  return NextResponse.next({ headers: { 'x-matched': pathname } })
}

// '/only-:x*' repeats a parameter with no prefix: Next gives it the prefix '/'.
export const config = { matcher: ['/(rewrite-.*)', '/(redirect-.*)', '/only-:x*'] }
