// A folder named with the percent-escapes of crème: the way to serve /menu/crème, which a URL carries encoded.
export function GET(request: Request) {
  return Response.json({ route: 'menu/cr%C3%A8me', url: request.url })
}
