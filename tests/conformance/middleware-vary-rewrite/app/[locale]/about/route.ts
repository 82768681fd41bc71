export async function GET(_: Request, { params }: { params: Promise<{ locale: string }> }) {
  const { locale } = await params
  return new Response(`about (${locale})`, { headers: { 'content-type': 'text/plain', 'content-language': locale } })
}
