export const runtime = 'edge'

// Node-only globals read from edge code: what is there at run time.
export function GET() {
  const out: Record<string, string> = {}
  const read: Record<string, () => unknown> = {
    __dirname: () => __dirname,
    __filename: () => __filename,
    global: () => global,
    module: () => module,
    exports: () => exports,
  }
  for (const [name, get] of Object.entries(read)) {
    try {
      out[name] = typeof get()
    } catch (e) {
      out[name] = `${(e as Error).name}: ${(e as Error).message}`
    }
  }
  return Response.json(out)
}
