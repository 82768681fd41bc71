export const dynamic = 'force-static'

export async function GET(request: Request) {
  return Response.json({ url: request.url, phase: process.env.NEXT_PHASE ?? null })
}
