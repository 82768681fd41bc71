import { Readable } from 'node:stream'

async function* lines() {
  yield 'one\n'
  await new Promise((resolve) => setTimeout(resolve, 60))
  yield 'two\n'
}

// A Node.js stream made web: Readable.toWeb(Readable.from(generator)).
export function GET() {
  return new Response(Readable.toWeb(Readable.from(lines())) as any, { headers: { 'content-type': 'text/plain' } })
}
