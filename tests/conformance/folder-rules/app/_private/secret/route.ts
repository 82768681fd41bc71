// Private folder: never a route.
export function GET() {
  return new Response('private')
}
