import type { NextRequest } from 'next/server'

export function GET(request: NextRequest) {
  const header = (name: string) => request.headers.get(name)
  return Response.json({
    url: request.url,
    nextUrl: request.nextUrl.href,
    host: header('host'),
    forwardedHost: header('x-forwarded-host'),
    forwardedPort: header('x-forwarded-port'),
    forwardedProto: header('x-forwarded-proto'),
    forwardedFor: header('x-forwarded-for'),
    forwarded: header('forwarded'),
  })
}
