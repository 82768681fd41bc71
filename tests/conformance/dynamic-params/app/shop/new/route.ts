export function GET() { return Response.json({ route: 'shop/new' }) }
