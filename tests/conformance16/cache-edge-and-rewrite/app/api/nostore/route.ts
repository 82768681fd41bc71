import { unstable_noStore } from 'next/cache'

export const revalidate = 60

let calls = 0

export async function GET() {
  unstable_noStore()
  calls += 1
  return Response.json({ calls, phase: process.env.NEXT_PHASE ?? null })
}
