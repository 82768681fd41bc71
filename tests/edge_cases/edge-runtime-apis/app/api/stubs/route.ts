export const runtime = 'edge'

const NAMES = [
  'clearImmediate', 'setImmediate', 'BroadcastChannel', 'MessageChannel', 'MessageEvent', 'MessagePort',
  'ByteLengthQueuingStrategy', 'CountQueuingStrategy', 'CompressionStream', 'DecompressionStream', 'DomException',
  'ReadableByteStreamController', 'ReadableStreamBYOBRequest', 'ReadableStreamDefaultController',
  'TransformStreamDefaultController', 'WritableStreamDefaultController',
]

// Node globals that the sandbox stubs: what typeof says and what a call throws.
export function GET() {
  const g = globalThis as any
  const out: Record<string, string> = {}
  for (const name of NAMES) {
    let called: string
    try {
      g[name]()
      called = 'no error'
    } catch (e) {
      called = `${(e as Error).name}: ${(e as Error).message}`
    }
    out[name] = `${typeof g[name]} | ${called}`
  }
  return Response.json(out)
}
