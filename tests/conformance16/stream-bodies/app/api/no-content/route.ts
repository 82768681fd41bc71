export function GET() {
  return new Response(null, { status: 204, headers: { 'x-kind': 'empty' } })
}

export function DELETE() {
  return new Response(null, { status: 204 })
}
