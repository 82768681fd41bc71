import type { NextRequest } from 'next/server'

export const runtime = 'edge'

// What a NextRequest carries besides its URL and headers (a removed field throws, saying what replaced it).
function probe(read: () => unknown): unknown {
  try {
    const value = read()
    return value === undefined || value === null || typeof value === 'object' ? typeof value : value
  } catch (error) {
    return `throws: ${(error as Error).message.split('\n')[0]}`
  }
}

export function GET(request: NextRequest) {
  const r = request as unknown as Record<string, unknown>
  const u = request.nextUrl as unknown as Record<string, unknown>
  return Response.json({
    geo: probe(() => r.geo), ip: probe(() => r.ip), ua: probe(() => r.ua), page: probe(() => r.page),
    buildId: probe(() => u.buildId), locale: probe(() => u.locale), basePath: probe(() => u.basePath),
    defaultLocale: probe(() => u.defaultLocale), method: request.method, cache: request.cache,
    credentials: request.credentials, mode: request.mode, redirect: request.redirect, referrer: request.referrer,
    keepalive: request.keepalive, destination: request.destination, integrity: request.integrity,
    aborted: request.signal.aborted, bodyNull: request.body === null,
  })
}
