// A folder named %5Fsites serves /_sites (an underscore that is not a private folder).
export async function GET(request: Request, context: { params: Promise<{ site: string }> }) {
  const { site } = await context.params
  return Response.json({ site, url: request.url })
}
