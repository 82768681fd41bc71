import { revalidateTag } from 'next/cache'

export function GET() {
  revalidateTag('products')
  return new Response('revalidated')
}
