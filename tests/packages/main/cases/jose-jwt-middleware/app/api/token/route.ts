import { SignJWT } from 'jose'
import { secret } from '../../../lib/secret'

export const dynamic = 'force-dynamic'

export async function GET(request: Request) {
  const sub = new URL(request.url).searchParams.get('sub') ?? 'ada'
  const token = await new SignJWT({ sub, role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(1700000000).sign(secret)
  return new Response(token, { headers: { 'content-type': 'text/plain' } })
}
