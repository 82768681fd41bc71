import { NextResponse } from 'next/server'
import { probe } from './lib/probe'

export function middleware() {
  return NextResponse.json(probe())
}

export const config = { matcher: '/mw' }
