import { headers } from 'next/headers'

export async function GET() {
  const list = await headers()
  return Response.json({ custom: list.get('x-custom'), rsc: list.get('rsc'), host: list.get('host') })
}
