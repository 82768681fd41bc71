export function GET(request: Request) {
  return Response.redirect(new URL('/api/echo?via=redirect', request.url), 307)
}
