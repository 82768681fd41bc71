export async function GET(request: Request) {
  const inner = await fetch(new URL('/no/such/page', request.url))
  return Response.json({ status: inner.status, type: inner.headers.get('content-type') })
}
