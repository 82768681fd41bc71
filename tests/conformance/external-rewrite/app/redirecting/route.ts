export function GET(request: Request) {
  return Response.redirect(new URL('/echo/after-redirect', request.url), 307)
}
