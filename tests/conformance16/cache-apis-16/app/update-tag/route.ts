import { updateTag } from 'next/cache'

export function GET() {
  updateTag('products')
  return new Response('updated')
}
