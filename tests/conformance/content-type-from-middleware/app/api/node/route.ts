export function GET(request: Request) {
  const own = new URL(request.url).searchParams.has('own')
  return new Response(new Uint8Array([60, 98, 62]), own ? { headers: { 'content-type': 'text/plain' } } : undefined)
}
