export const runtime = 'edge'

export async function GET(request: Request) {
  const inner = await fetch(new URL('/api/echo?via=edge-route', request.url))
  return Response.json({ status: inner.status, data: await inner.json() })
}
