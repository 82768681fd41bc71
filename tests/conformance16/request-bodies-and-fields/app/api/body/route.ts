export const runtime = 'edge'

// A request body read every way an edge route reads one.
export async function POST(request: Request) {
  const kind = new URL(request.url).searchParams.get('as')
  if (kind === 'form') {
    const form = await request.formData()
    return Response.json({ entries: [...form.entries()].map(([k, v]) => [k, typeof v === 'string' ? v : `file:${v.name}:${v.size}:${v.type}`]) })
  }
  if (kind === 'clone') {
    const copy = request.clone()
    return Response.json({ first: await request.text(), second: await copy.text(), used: request.bodyUsed })
  }
  if (kind === 'stream') {
    let chunks = 0, bytes = 0
    const reader = request.body!.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks += 1
      bytes += value.byteLength
    }
    return Response.json({ bytes, some: chunks > 0 })
  }
  if (kind === 'twice') {
    await request.text()
    try { await request.text(); return new Response('read twice') } catch (error) { return Response.json({ error: (error as Error).name }) }
  }
  const blob = await request.blob()
  return Response.json({ size: blob.size, type: blob.type })
}
