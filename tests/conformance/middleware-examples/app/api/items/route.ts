export function GET() {
  return Response.json([{ id: 1 }])
}

export async function POST(request: Request) {
  return Response.json({ created: await request.json() }, { status: 201 })
}
