let calls = 0

export async function generateStaticParams() {
  return [{ id: '1' }, { id: '2' }]
}

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  calls += 1
  const { id } = await params
  return Response.json({ id, calls, phase: process.env.NEXT_PHASE ?? null })
}
