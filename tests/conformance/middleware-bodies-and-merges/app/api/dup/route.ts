// A route whose headers collide with those middleware set on next().
export function GET() {
  const headers = new Headers({ 'x-dup': 'route', 'x-list': 'route', 'content-type': 'application/json', 'cache-control': 'max-age=60' })
  headers.append('set-cookie', 'route=1; Path=/')
  return new Response('{}', { headers })
}
