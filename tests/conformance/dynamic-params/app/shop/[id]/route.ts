export async function GET(_r: Request, ctx: { params: Promise<{ id: string }> }) {
  return Response.json({ route: 'shop/[id]', params: await ctx.params })
}
