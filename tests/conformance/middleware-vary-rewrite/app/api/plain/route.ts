export function GET() {
  return new Response('plain', { headers: { 'content-type': 'text/plain', vary: 'x-route' } })
}
