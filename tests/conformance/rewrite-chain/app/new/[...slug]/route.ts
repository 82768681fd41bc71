import type { NextRequest } from 'next/server'

export async function GET(req: NextRequest, ctx: { params: Promise<{ slug: string[] }> }) {
  const { slug } = await ctx.params
  return Response.json({ slug, path: req.nextUrl.pathname, q: req.nextUrl.search, url: req.url })
}
