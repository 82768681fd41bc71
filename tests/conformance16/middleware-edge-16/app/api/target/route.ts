import { cookies } from 'next/headers'

export async function GET(req: Request) {
  const jar = await cookies()
  return Response.json({ url: req.url, seen: jar.get('seen')?.value ?? null })
}
