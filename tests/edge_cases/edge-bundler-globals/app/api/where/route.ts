export const runtime = 'edge'

// What the bundler gives edge code for Node's module-scope names.
export function GET() {
  const m = module as any
  return Response.json({
    dirname: __dirname,
    filename: __filename,
    globalIsGlobalThis: global === globalThis,
    moduleKeys: Object.keys(m).sort(),
    moduleExportsType: typeof m.exports,
  })
}
