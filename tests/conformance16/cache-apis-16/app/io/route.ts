import { io } from 'next/cache'

export async function GET() {
  await io()
  return new Response('after io')
}
