// Responses of every body kind a handler may return, and the headers each implies.
export function answer(kind: string): Response {
  switch (kind) {
    case 'blob': return new Response(new Blob(['<svg/>'], { type: 'image/svg+xml' }))
    case 'params': return new Response(new URLSearchParams({ a: '1', b: 'two words' }))
    case 'bytes': return new Response(new Uint8Array([104, 105]))
    case 'buffer': return new Response(new Uint8Array([104, 105]).buffer)
    case 'status-text': return Response.json({ ok: true }, { status: 201, statusText: 'Made It' })
    case 'cookies': return new Response('c', { headers: [['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2; Path=/']] })
    case 'json-null': return Response.json(null)
    case 'empty-string': return new Response('')
    case 'typed': return new Response('{"x":1}', { headers: { 'Content-Type': 'application/json; charset=utf-8' } })
    case 'no-body-302': return new Response(null, { status: 302, headers: { location: '/elsewhere' } })
    default: return new Response('unknown', { status: 400 })
  }
}
