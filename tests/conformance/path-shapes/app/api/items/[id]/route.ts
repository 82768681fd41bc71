export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return Response.json({ id: (await params).id, path: new URL(request.url).pathname })
}
