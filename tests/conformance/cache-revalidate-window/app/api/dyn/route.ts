let calls = 0

export async function GET() {
  calls += 1
  return Response.json({ calls })
}
