export async function GET(_request: Request, context: { params: Promise<{ locale: string }> }) {
  const { locale } = await context.params
  return new Response(`about (${locale})`)
}
