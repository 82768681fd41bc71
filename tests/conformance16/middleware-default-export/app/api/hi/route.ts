export function GET() {
  return new Response('hi')
}

export function DELETE() {
  return new Response('deleted')
}
