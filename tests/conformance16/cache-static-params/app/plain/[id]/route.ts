export const revalidate = 60

// A dynamic segment without generateStaticParams.
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params
  return Response.json({ id, phase: process.env.NEXT_PHASE ?? null })
}
