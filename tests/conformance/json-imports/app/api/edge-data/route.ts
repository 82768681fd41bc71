import redirects from '../../../lib/redirects.json'

export const runtime = 'edge'

export function GET() {
  return Response.json({ sources: Object.keys(redirects), isObject: redirects instanceof Object })
}
