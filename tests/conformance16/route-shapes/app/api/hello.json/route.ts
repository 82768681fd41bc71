// A folder whose name has a dot: the route answers /api/hello.json.
export function GET() {
  return Response.json({ hello: 'world' })
}
