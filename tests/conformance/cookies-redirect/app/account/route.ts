import { cookies } from 'next/headers'

export async function GET() {
  const jar = await cookies()
  return Response.json({ session: jar.get('session')?.value ?? null, all: jar.getAll().map((c) => c.name) })
}
