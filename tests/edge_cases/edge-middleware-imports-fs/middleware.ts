import { NextResponse, type NextRequest } from 'next/server'
import fs from 'fs'
import { existsSync } from 'fs'

export function middleware(request: NextRequest) {
  const { pathname } = request.nextUrl
  if (pathname === '/default') return NextResponse.json({ exists: fs.existsSync('/etc/hostname') })
  if (pathname === '/named') return NextResponse.json({ exists: existsSync('/etc/hostname') })
  return NextResponse.json({ message: 'fs not used', typeofFs: typeof fs })
}

export const config = { matcher: ['/default', '/named', '/plain'] }
