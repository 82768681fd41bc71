// A static-looking GET beside a POST: the route cannot be prerendered.
let calls = 0

export const revalidate = 60

export async function GET() {
  calls += 1
  return Response.json({ calls })
}

export async function POST() {
  return Response.json({ posted: true })
}
