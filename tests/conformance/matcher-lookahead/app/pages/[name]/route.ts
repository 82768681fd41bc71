export async function GET(_r: Request, ctx: { params: Promise<{ name: string }> }) {
  return Response.json(await ctx.params)
}
