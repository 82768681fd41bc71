import { headers } from 'next/headers'

// A Node.js route's module scope and globals, as next start runs it.
function probe(read: () => unknown): unknown {
  try {
    const value = read()
    if (typeof value !== 'string') return typeof value
    return value.replace(/^.*\.next\//, '.next/').replace(/^file:\/\/.*\/app\/api\//, 'file://<app>/app/api/')
      .replace(/^\/ROOT\/.*\/app\/api\//, '/ROOT/app/api/') // Turbopack's root is the project's: the recording's lies above it
  } catch (error) {
    return `throws: ${(error as Error).name}: ${(error as Error).message.split('\n')[0]}`
  }
}

export async function GET() {
  const incoming = await headers()
  const g = globalThis as Record<string, unknown>
  return Response.json({
    dirname: probe(() => __dirname), filename: probe(() => __filename), metaUrl: probe(() => import.meta.url),
    runtime: process.env.NEXT_RUNTIME, nodeEnv: process.env.NODE_ENV,
    navigator: typeof g.navigator, webSocket: typeof g.WebSocket, buffer: typeof g.Buffer, als: typeof g.AsyncLocalStorage,
    edgeRuntime: typeof g.EdgeRuntime, global: typeof g.global, self: typeof g.self, window: typeof g.window,
    setHeader: probe(() => (incoming as unknown as Headers).set('x-a', '1')),
    requireResolve: probe(() => typeof require.resolve),
  })
}
