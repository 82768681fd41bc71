// Segment options a deployment platform reads, which next start ignores.
export const preferredRegion = ['iad1', 'sfo1']
export const maxDuration = 5

export function GET() {
  return new Response('ok')
}
