export function GET(request: Request) {
  return Response.json({ rsc: request.headers.get('rsc'), prefetch: request.headers.get('next-router-prefetch') })
}
