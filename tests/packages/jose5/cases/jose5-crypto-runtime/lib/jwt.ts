import { SignJWT, jwtVerify, cryptoRuntime } from 'jose'

const secret = new TextEncoder().encode('nbruntime-demo-secret-at-least-32-bytes!!')

export async function roundTrip(sub: string) {
  const token = await new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(1700000000).sign(secret)
  const { payload } = await jwtVerify(token, secret)
  return { cryptoRuntime, token, sub: payload.sub }
}
