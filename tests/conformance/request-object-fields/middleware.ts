import { NextResponse, type NextRequest } from 'next/server'
import { fields } from './lib/fields'

export function middleware(request: NextRequest) {
  if (request.nextUrl.pathname === '/middleware-fields') return NextResponse.json(fields(request))
}

export const config = { matcher: '/middleware-fields' }
