// The runtime name of older Next versions, in an App Router route.
export const runtime = 'experimental-edge'

export function GET() {
  return new Response(typeof (globalThis as Record<string, unknown>).EdgeRuntime)
}
