import type { NextRequest } from 'next/server'

export const revalidate = 60

// Reading request headers during the build makes the route dynamic (auto).
export async function GET(request: NextRequest) {
  return Response.json({ ua: request.headers.get('user-agent'), phase: process.env.NEXT_PHASE ?? null })
}
