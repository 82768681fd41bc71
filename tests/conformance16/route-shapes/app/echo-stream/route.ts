// The request body streamed back as it is read.
export async function POST(request: Request) {
  const reader = request.body?.getReader()
  if (!reader) return new Response(null, { status: 400, statusText: 'Bad Request' })
  const body = new ReadableStream({
    async pull(controller) {
      const { value, done } = await reader.read()
      if (done) return controller.close()
      controller.enqueue(value)
    },
  })
  return new Response(body, { headers: { 'content-type': request.headers.get('content-type') ?? 'text/plain' } })
}
