export const runtime = 'edge'

// process.env as next start loads it from the .env files and its own environment.
export function GET() {
  const e = process.env
  return Response.json({
    a: e.A, b: e.B, c: e.C, d: e.D, url: e.URL, price: e.PRICE, fallback: e.FALLBACK, raw: e.RAW,
    quoted: e.QUOTED, shell: e.NBRT_SHELL, runtime: e.NEXT_RUNTIME,
  })
}
