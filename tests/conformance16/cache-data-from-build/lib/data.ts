import { unstable_cache } from 'next/cache'

let loads = 0

// One cached function, used by a prerendered route and by a dynamic one.
export const load = unstable_cache(async () => {
  loads += 1
  return { loads, phase: process.env.NEXT_PHASE ?? null }
}, ['shared-data'], { tags: ['shared'] })
