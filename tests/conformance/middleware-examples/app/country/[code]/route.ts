export async function GET(request: Request, context: { params: Promise<{ code: string }> }) {
  const { code } = await context.params
  return Response.json({ country: code, url: request.url })
}
