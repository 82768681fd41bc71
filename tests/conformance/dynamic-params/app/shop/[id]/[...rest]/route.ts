export async function GET(_r: Request, ctx: { params: Promise<{ id: string; rest: string[] }> }) {
  return Response.json({ route: 'shop/[id]/[...rest]', params: await ctx.params })
}
