import { NextResponse } from 'next/server'
import { createHash } from 'crypto'

export function middleware() {
  return NextResponse.json({ sha: createHash('sha256').update('x').digest('hex') })
}

export const config = { matcher: '/hash' }
