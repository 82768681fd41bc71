export function GET() {
  return Response.json({ items: [] }, { headers: { 'x-handler': 'GET' } })
}
export async function POST(req: Request) {
  return Response.json({ got: await req.text() }, { status: 201 })
}
