import { revalidateTag } from 'next/cache'

export async function POST() {
  revalidateTag('counter', 'max')
  return Response.json({ revalidated: 'counter' })
}
