export const runtime = 'edge'

// Buffer without an import: the bundler provides it; globalThis does not.
export function GET() {
  const encoded = Buffer.from('edge runtime').toString('base64')
  return Response.json({
    encoded,
    decoded: Buffer.from(encoded, 'base64').toString('utf8'),
    isBuffer: Buffer.isBuffer(Buffer.alloc(1)),
    globalBuffer: typeof (globalThis as any).Buffer,
  })
}
