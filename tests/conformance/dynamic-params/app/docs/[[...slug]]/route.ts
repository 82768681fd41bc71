export async function GET(_r: Request, ctx: { params: Promise<{ slug?: string[] }> }) {
  return Response.json({ route: 'docs/[[...slug]]', params: await ctx.params })
}
