export const runtime = 'edge'

// What an edge function finds on its global object: each name's typeof, as Next's edge sandbox gives it.
const NAMES = [
  'fetch', 'Request', 'Response', 'Headers', 'FormData', 'Blob', 'File', 'URL', 'URLSearchParams', 'URLPattern',
  'ReadableStream', 'WritableStream', 'TransformStream', 'TextEncoderStream', 'TextDecoderStream',
  'CompressionStream', 'DecompressionStream', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy',
  'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'crypto', 'CryptoKey', 'SubtleCrypto', 'structuredClone',
  'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'setImmediate', 'queueMicrotask',
  'AbortController', 'AbortSignal', 'Event', 'EventTarget', 'FetchEvent', 'PromiseRejectionEvent', 'DOMException',
  'WebSocket', 'BroadcastChannel', 'MessageChannel', 'navigator', 'performance', 'console', 'process', 'Buffer',
  'require', 'module', 'exports', '__dirname', 'global', 'globalThis', 'self', 'window', 'EdgeRuntime',
  'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'Intl', 'Iterator', 'AsyncLocalStorage', 'caches', 'addEventListener',
]

export function GET() {
  const seen: Record<string, string> = {}
  for (const name of NAMES) seen[name] = typeof (globalThis as Record<string, unknown>)[name]
  const edge = (globalThis as Record<string, unknown>).EdgeRuntime
  return Response.json({ seen, uuid: typeof crypto.randomUUID(), edge: typeof edge === 'string' ? edge : null,
    process: typeof process === 'object' ? Object.keys(process).sort() : null })
}
