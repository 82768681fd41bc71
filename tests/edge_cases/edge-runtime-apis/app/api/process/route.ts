export const runtime = 'edge'

// The process polyfill: function members throw when called, other members are undefined, assignments stick.
export function GET() {
  const p = process as any
  const calls: Record<string, string> = {}
  for (const name of ['cwd', 'nextTick', 'hrtime', 'memoryUsage', 'on', 'exit', 'uptime']) {
    try {
      p[name](() => {})
      calls[name] = 'no error'
    } catch (e) {
      calls[name] = `${(e as Error).name}: ${(e as Error).message}`
    }
  }
  const before = { version: typeof p.version, platform: typeof p.platform, argv: typeof p.argv, pid: typeof p.pid }
  p.version = 'assigned'
  return Response.json({
    typeofProcess: typeof process,
    types: { cwd: typeof p.cwd, on: typeof p.on, emit: typeof p.emit, missing: typeof p.notAMember },
    before,
    afterAssign: p.version,
    keys: Object.keys(p),
    runtime: process.env.NEXT_RUNTIME,
    calls,
  })
}
