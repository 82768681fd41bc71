export function GET(request: Request) {
  return new Response(`ok ${request.method}`)
}

export function POST(request: Request) {
  return new Response(`ok ${request.method}`)
}
