export const runtime = 'edge'

export function GET() {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue('text, ')
      controller.enqueue(new TextEncoder().encode('bytes'))
      controller.close()
    },
  })
  return new Response(body as any)
}
