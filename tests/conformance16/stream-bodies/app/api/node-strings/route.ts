export function GET() {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue('node ')
      controller.enqueue('strings')
      controller.close()
    },
  })
  return new Response(body as any)
}
