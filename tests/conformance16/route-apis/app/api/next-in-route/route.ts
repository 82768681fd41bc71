import { NextResponse } from 'next/server'

// NextResponse.next() belongs to middleware; a route that returns it fails.
export function GET() {
  return NextResponse.next()
}
