export function GET(req: Request) {
  return Response.json({ subrequest: req.headers.get('x-middleware-subrequest'), fwd: req.headers.get('x-forwarded-proto') })
}
