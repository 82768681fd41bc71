export const runtime = 'edge'

// Strings enqueued into the body stream (not bytes), as many streaming examples do.
export function GET() {
  const body = new ReadableStream({
    async start(controller) {
      controller.enqueue('first ')
      await new Promise((resolve) => setTimeout(resolve, 60))
      controller.enqueue('second')
      controller.close()
    },
  })
  return new Response(body as any, { headers: { 'content-type': 'text/plain; charset=utf-8' } })
}
