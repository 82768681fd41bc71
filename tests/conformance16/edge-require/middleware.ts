import { NextResponse } from 'next/server'

// Middleware is edge code too: a bare built-in it may not use is loaded, and fails only when used.
export function middleware() {
  const { format } = require('node:util')
  const fs = require('fs')
  let used = ''
  try {
    fs.readFileSync('/etc/hostname')
  } catch (error) {
    used = `${(error as Error).name}: ${(error as Error).message.split('\n')[0]}`
  }
  const response = NextResponse.next()
  response.headers.set('x-formatted', format('%d items', 3))
  response.headers.set('x-fs', `${typeof fs} ${Object.keys(fs).sort().join(',')}`)
  response.headers.set('x-fs-used', used)
  return response
}

export const config = { matcher: '/api/:path*' }
