const SHOWN = ['host', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-for', 'user-agent',
  'x-custom', 'x-added', 'cookie', 'x-middleware-subrequest', 'content-type', 'content-length', 'accept-encoding',
  'connection', 'x-from-middleware', 'forwarded', 'via']

async function echo(request: Request, { params }: { params: Promise<{ path: string[] }> }) {
  const seen = Object.fromEntries(SHOWN.map((name) => [name, request.headers.get(name)]))
  const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.text()
  return Response.json(
    { method: request.method, url: request.url, path: (await params).path, headers: seen, body },
    { headers: { 'x-route': 'echo', 'set-cookie': 'route=1; Path=/', 'cache-control': 'max-age=5' } },
  )
}

export { echo as GET, echo as POST }
