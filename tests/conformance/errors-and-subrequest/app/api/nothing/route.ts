export function GET() { return undefined as any }
