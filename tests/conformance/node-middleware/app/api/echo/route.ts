export async function POST(req: Request) {
  return Response.json({ got: await req.text() })
}
export function GET() {
  return Response.json({ got: null })
}
