export function GET(request: Request) {
  const url = new URL(request.url)
  return new Response(`${url.pathname}${url.search}`)
}
