export async function GET(_request: Request, context: any) {
  return Response.json({ sync: context.params.parts, awaited: (await context.params).parts })
}
