export function GET() { return new Response('reached after undefined') }
