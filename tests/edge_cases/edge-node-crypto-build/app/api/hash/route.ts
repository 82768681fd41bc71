import { createHash } from 'node:crypto'

export const runtime = 'edge'

// Hashing with node:crypto in an edge route.
export function GET(req: Request) {
  const who = new URL(req.url).searchParams.get('who') ?? ''
  return Response.json({ sha: createHash('sha256').update(who).digest('hex') })
}
