export const runtime = 'edge'

// Relative URLs in the edge runtime: Next insists on absolute ones.
export function GET() {
  const errors: Record<string, string> = {}
  try {
    new Request('/x')
  } catch (error) {
    errors.request = (error as Error).message
  }
  try {
    Response.redirect('/x')
  } catch (error) {
    errors.redirect = (error as Error).message
  }
  return Response.json(errors)
}
