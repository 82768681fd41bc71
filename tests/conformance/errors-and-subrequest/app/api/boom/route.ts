export function GET() {
  throw new Error('route exploded')
}
