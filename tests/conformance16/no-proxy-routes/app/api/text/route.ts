import { cookies, headers } from 'next/headers'

export async function GET() {
  const h = await headers()
  const jar = await cookies()
  jar.set('seen', '1')
  return new Response(`ua=${h.get('user-agent')} fwd=${h.get('x-forwarded-proto')} c=${jar.get('c')?.value}`, {
    headers: { 'content-type': 'text/plain' },
  })
}
