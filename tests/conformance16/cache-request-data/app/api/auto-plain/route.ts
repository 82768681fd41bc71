export const revalidate = 60

// Only the pathname: reading it keeps the route static.
export async function GET(request: Request & { nextUrl: URL }) {
  return Response.json({ path: request.nextUrl.pathname, phase: process.env.NEXT_PHASE ?? null })
}
