import { unstable_cache } from 'next/cache'

let loads = 0
const load = unstable_cache(async () => {
  loads += 1
  return { loads, phase: process.env.NEXT_PHASE ?? null }
}, ['tagged-data'], { tags: ['prices'] })

export const revalidate = 3600

export async function GET() {
  return Response.json({ route: 'tagged', ...(await load()) })
}
