export async function GET(_request: Request, context: { params: Promise<{ id: string }> }) {
  return Response.json(await context.params)
}
