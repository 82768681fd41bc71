let n = 0

export const dynamic = 'force-dynamic'

// The upstream the other routes fetch: it counts the requests that reach it.
export async function GET() {
  n += 1
  return Response.json({ n })
}
