export function GET() { return new Response('target reached') }
