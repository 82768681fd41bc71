import { io } from 'next/cache'

export const revalidate = 60

export async function GET() {
  await io()
  return new Response(`made at ${Date.now() > 0 ? 'some time' : ''}`)
}
