// A folder with a space: a URL can only ask for it percent-encoded.
export function GET(request: Request) {
  return Response.json({ route: 'hello world', url: request.url })
}
