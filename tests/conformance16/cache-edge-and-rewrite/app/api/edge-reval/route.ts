export const runtime = 'edge'
export const revalidate = 30

let calls = 0

export async function GET() {
  calls += 1
  return Response.json({ runtime: 'edge', calls })
}
