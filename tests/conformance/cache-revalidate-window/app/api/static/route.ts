let calls = 0

export const dynamic = 'force-static'

export async function GET() {
  calls += 1
  return new Response(`static calls=${calls} phase=${process.env.NEXT_PHASE ?? 'none'}`, {
    headers: { 'x-made': 'by-handler' },
  })
}
