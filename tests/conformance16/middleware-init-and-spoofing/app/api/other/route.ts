export function GET(request: Request) {
  return Response.json({ route: 'other', query: new URL(request.url).search })
}
