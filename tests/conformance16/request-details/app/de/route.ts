export function GET(request: Request) {
  return new Response(`de: ${new URL(request.url).pathname}`)
}
