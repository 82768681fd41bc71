import { decodeProtectedHeader, decodeJwt, base64url } from 'jose'

export const runtime = 'edge'

export async function GET(request: Request) {
  const token = new URL(request.url).searchParams.get('t') ?? ''
  try {
    return Response.json({ header: decodeProtectedHeader(token), claims: decodeJwt(token), hi: base64url.encode('hi') })
  } catch (error) {
    return Response.json({ error: (error as Error).name, message: (error as Error).message }, { status: 400 })
  }
}
