export function GET() {
  return new Response('answered here')
}
