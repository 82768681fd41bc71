export function GET(request: Request) {
  const internal = [...request.headers.keys()].filter((name) => name.startsWith('x-middleware') || name === 'x-from-init')
  return Response.json({ route: 'show', internal })
}
