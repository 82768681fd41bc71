export function GET() {
  return new Response('down for maintenance', { status: 503 })
}
