// The escapes of 東 as a folder name, with a dynamic segment under it.
export async function GET(request: Request, context: { params: Promise<{ slug: string }> }) {
  const { slug } = await context.params
  return Response.json({ route: '%E6%9D%B1/[slug]', slug, url: request.url })
}
