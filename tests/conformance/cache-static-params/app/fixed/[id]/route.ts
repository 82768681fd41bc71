export const dynamicParams = false

export async function generateStaticParams() {
  return [{ id: 'a' }]
}

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params
  return Response.json({ id, phase: process.env.NEXT_PHASE ?? null })
}
