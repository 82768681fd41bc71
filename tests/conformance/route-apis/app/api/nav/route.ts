import { notFound, permanentRedirect, redirect } from 'next/navigation'
import type { NextRequest } from 'next/server'

// next/navigation in a route handler.
export function GET(request: NextRequest) {
  const to = request.nextUrl.searchParams.get('to')
  if (to === 'redirect') redirect('/api/static?from=nav')
  if (to === 'permanent') permanentRedirect('/api/static')
  if (to === 'external') redirect('https://example.com/elsewhere')
  if (to === 'missing') notFound()
  return new Response('stayed')
}
