import { revalidateTag } from 'next/cache'

export async function POST() {
  revalidateTag('counter')
  return Response.json({ revalidated: 'counter' })
}
