export const runtime = 'edge'

export async function GET(_request: Request, context: any) {
  return Response.json({ sync: context.params.id, awaited: (await context.params).id, contextKeys: Object.keys(context) })
}
