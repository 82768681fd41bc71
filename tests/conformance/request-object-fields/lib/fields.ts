import type { NextRequest } from 'next/server'

// What a handler can read off its request besides the URL, headers and body.
export function fields(request: NextRequest) {
  const url = request.nextUrl
  const read = (get: () => unknown) => {
    try {
      const value = get()
      return value === undefined ? '(undefined)' : value
    } catch (error) {
      return `throws ${(error as Error).name}`
    }
  }
  return {
    cache: read(() => request.cache),
    credentials: read(() => request.credentials),
    destination: read(() => request.destination),
    integrity: read(() => request.integrity),
    keepalive: read(() => request.keepalive),
    mode: read(() => request.mode),
    redirect: read(() => request.redirect),
    referrer: read(() => request.referrer),
    referrerPolicy: read(() => request.referrerPolicy),
    duplex: read(() => (request as any).duplex),
    bodyUsed: read(() => request.bodyUsed),
    body: read(() => (request.body === null ? null : typeof request.body)),
    signalAborted: read(() => request.signal.aborted),
    ip: read(() => (request as any).ip),
    geo: read(() => (request as any).geo),
    buildId: read(() => url.buildId),
    locale: read(() => url.locale),
    defaultLocale: read(() => url.defaultLocale),
    domainLocale: read(() => url.domainLocale),
    basePath: read(() => url.basePath),
    nextUrlJson: read(() => JSON.stringify(url)),
    nextUrlString: read(() => String(url)),
    nextUrlHost: read(() => [url.host, url.hostname, url.port, url.protocol, url.origin]),
    cookiesString: read(() => request.cookies.toString()),
    cookiesSize: read(() => request.cookies.size),
    toStringTag: Object.prototype.toString.call(request),
    headersTag: Object.prototype.toString.call(request.headers),
  }
}
