import { headers } from 'next/headers'

export async function GET(req: Request) {
  const h = await headers()
  const pick = (name: string) => ({ request: req.headers.get(name), nextHeaders: h.get(name) })
  return Response.json({
    removed: pick('x-remove-me'),
    replaced: pick('x-replace-me'),
    added: pick('x-added'),
    responseOnly: pick('x-response-only'),
    kept: pick('x-keep'),
    overrideMarker: req.headers.get('x-middleware-override-headers'),
  })
}
