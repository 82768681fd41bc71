import { cookies } from 'next/headers'
import type { NextRequest } from 'next/server'

// How cookies are read from a request and written by cookies() in a route.
export async function GET(request: NextRequest) {
  const jar = await cookies()
  const mode = request.nextUrl.searchParams.get('mode')
  if (mode === 'write') {
    jar.set('plain', 'v')
    jar.set('spaced', 'a b;c', { path: '/api', maxAge: 10, sameSite: 'strict', secure: true, httpOnly: true })
    jar.set({ name: 'partitioned', value: '1', partitioned: true, secure: true })
    jar.delete('old')
  }
  return Response.json({
    all: jar.getAll().map(({ name, value }) => [name, value]),
    fromRequest: request.cookies.getAll().map(({ name, value }) => [name, value]),
    has: jar.has('b'),
    old: [jar.has('old'), jar.get('old')?.value ?? null],
    size: request.cookies.size,
    header: request.headers.get('cookie'),
  })
}
