export function GET(request: Request) {
  return new Response(new URL(request.url).search)
}
