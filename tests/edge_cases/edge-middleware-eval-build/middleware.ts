// Middleware that evaluates a rule written as a string: dynamic code evaluation on the edge.
const RULE = "req.headers.get('x-admin') === '1'"

export function middleware(req: Request) {
  const allowed = new Function('req', `return ${RULE}`)(req)
  if (!allowed) return new Response('denied', { status: 403 })
}

export const config = { matcher: '/api/:path*' }
