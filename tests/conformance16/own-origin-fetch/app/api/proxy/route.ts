export async function GET(request: Request) {
  const inner = await fetch(new URL('/api/echo?via=route', request.url), { headers: { 'x-extra': 'from-route' } })
  return Response.json({ status: inner.status, vary: inner.headers.get('vary'), data: await inner.json() })
}
