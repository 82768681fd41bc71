export const dynamic = 'force-dynamic'

export async function GET(request: Request) {
  const upstream = await fetch(new URL('/api/counter', request.url), { cache: 'force-cache', next: { tags: ['counter'] } })
  return Response.json({ upstream: await upstream.json() })
}
