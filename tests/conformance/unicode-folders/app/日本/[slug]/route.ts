import type { NextRequest } from 'next/server'

// A dynamic segment under a folder named in Japanese: its param arrives decoded.
export async function GET(request: NextRequest, context: { params: Promise<{ slug: string }> }) {
  const { slug } = await context.params
  return Response.json({ route: '日本/[slug]', slug, url: request.url, pathname: request.nextUrl.pathname })
}
