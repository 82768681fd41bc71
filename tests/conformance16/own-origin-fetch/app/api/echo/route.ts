// What a request made by the app's own code looks like when it arrives.
export function GET(request: Request) {
  const headers = request.headers
  return Response.json({
    url: request.url,
    ua: headers.get('user-agent'),
    extra: headers.get('x-extra'),
    middleware: headers.get('x-mw-saw'),
    subrequest: headers.get('x-middleware-subrequest'),
    accept: headers.get('accept'),
    host: headers.get('host'),
  })
}
