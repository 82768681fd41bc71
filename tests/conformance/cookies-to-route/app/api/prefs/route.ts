import { cookies } from 'next/headers'
import type { NextRequest } from 'next/server'

export async function GET(req: NextRequest) {
  const jar = await cookies()
  jar.set('seen', 'yes', { maxAge: 60 })
  return Response.json({
    theme: jar.get('theme')?.value ?? null,
    visit: jar.get('visit')?.value ?? null,
    stale: jar.get('stale')?.value ?? null,
    requestCookies: req.cookies.getAll().map((c) => `${c.name}=${c.value}`),
  })
}
