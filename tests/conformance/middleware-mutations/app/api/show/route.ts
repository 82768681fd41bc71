export function GET(request: Request) {
  return Response.json({ mutated: request.headers.get('x-mutated'), dropped: request.headers.get('x-drop-me') })
}
