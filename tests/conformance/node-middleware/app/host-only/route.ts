export function GET() { return new Response('host only') }
