import { headers } from 'next/headers'

export async function GET() {
  return Response.json({ user: (await headers()).get('x-user') })
}
