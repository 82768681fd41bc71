// A handler that returns something that is not a Response.
export function GET() {
  return { not: 'a response' } as unknown as Response
}
