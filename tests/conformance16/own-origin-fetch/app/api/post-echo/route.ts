export async function POST(request: Request) {
  return new Response(`${request.method} ${await request.text()} ${request.headers.get('content-type')}`)
}
