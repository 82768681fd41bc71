export const runtime = 'edge'
declare const EdgeRuntime: string | undefined

// The edge global scope, and how a few of its members behave.
export function GET() {
  const timer = setTimeout(() => {}, 1)
  clearTimeout(timer)
  return Response.json({
    names: Object.getOwnPropertyNames(globalThis).sort(),
    timer: typeof timer,
    self: self === globalThis,
    edgeRuntime: typeof EdgeRuntime === 'string' ? EdgeRuntime : null,
    asyncLocalStorage: typeof (globalThis as any).AsyncLocalStorage,
    encodedIsU8: new TextEncoder().encode('a') instanceof Uint8Array,
    enumerable: Object.keys(globalThis).sort(),
  })
}
