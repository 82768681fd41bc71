export function GET() { return new Response('custom get') }
export function HEAD() { return new Response(null, { headers: { 'x-handler': 'HEAD' } }) }
export function OPTIONS() { return new Response(null, { status: 200, headers: { allow: 'GET, HEAD', 'x-handler': 'OPTIONS' } }) }
