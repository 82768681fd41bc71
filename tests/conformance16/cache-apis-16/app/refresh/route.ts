import { refresh } from 'next/cache'

export function GET() {
  refresh()
  return new Response('refreshed')
}
