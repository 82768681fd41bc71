export const dynamic = 'force-dynamic'

// fetch without cache options: not cached in Next 15.
export async function GET(request: Request) {
  const upstream = await fetch(new URL('/api/counter', request.url))
  return Response.json({ upstream: await upstream.json() })
}
