import { NextResponse, type NextRequest } from 'next/server'

// NextResponse.rewrite() belongs to middleware.
export function GET(request: NextRequest) {
  return NextResponse.rewrite(new URL('/api/hello.json', request.nextUrl))
}
