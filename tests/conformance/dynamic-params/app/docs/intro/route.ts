export function GET() { return Response.json({ route: 'docs/intro' }) }
