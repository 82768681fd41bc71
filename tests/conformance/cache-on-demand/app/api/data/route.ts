let calls = 0

export const dynamic = 'force-static'

export async function GET() {
  calls += 1
  return Response.json({ route: 'data', calls, phase: process.env.NEXT_PHASE ?? null })
}
