// Module state counts the calls this process made: the build's calls happen elsewhere.
let calls = 0

export const revalidate = 2

export async function GET() {
  calls += 1
  return Response.json({ calls, phase: process.env.NEXT_PHASE ?? null })
}
