import type { NextRequest } from 'next/server'

export const revalidate = 60

export async function GET(request: NextRequest) {
  return Response.json({ q: request.nextUrl.searchParams.get('q'), phase: process.env.NEXT_PHASE ?? null })
}
