export const runtime = 'edge'

// A calculator that evaluates its input: dynamic code evaluation in an edge route.
export function GET(req: Request) {
  const expr = new URL(req.url).searchParams.get('q') ?? '1 + 1'
  return Response.json({ value: eval(expr) })
}
