export const runtime = 'edge'

// The same on an edge route.
export function GET() {
  const headers = new Headers({ 'x-dup': 'route', 'x-list': 'route', 'content-type': 'application/json', 'cache-control': 'max-age=60' })
  headers.append('set-cookie', 'route=1; Path=/')
  return new Response('{}', { headers })
}
