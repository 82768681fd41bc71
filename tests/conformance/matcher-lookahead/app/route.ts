export function GET() { return new Response('home') }
