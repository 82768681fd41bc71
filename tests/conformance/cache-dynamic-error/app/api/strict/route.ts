import type { NextRequest } from 'next/server'

export const dynamic = 'error'

export async function GET(request: NextRequest) {
  return Response.json({ ua: request.headers.get('user-agent') })
}
