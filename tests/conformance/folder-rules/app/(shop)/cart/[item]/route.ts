export async function GET(_request: Request, context: { params: Promise<{ item: string }> }) {
  return Response.json(await context.params)
}
