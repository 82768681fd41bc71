import 'server-only'

export function GET() {
  return new Response('server only code runs')
}
