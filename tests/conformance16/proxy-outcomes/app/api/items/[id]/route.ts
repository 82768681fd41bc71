import type { NextRequest } from 'next/server'

export async function GET(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params
  if (id === 'throw') throw new Error('route bug')
  return Response.json({ id, url: req.url, src: req.nextUrl.searchParams.get('src') })
}
