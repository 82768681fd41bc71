import { headers } from 'next/headers'

export const revalidate = 60

export async function GET() {
  const h = await headers()
  return Response.json({ ua: h.get('user-agent'), phase: process.env.NEXT_PHASE ?? null })
}
