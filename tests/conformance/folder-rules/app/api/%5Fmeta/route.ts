export function GET() {
  return Response.json({ meta: true })
}
