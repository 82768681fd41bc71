export function POST() { return new Response('posted') }
