import Negotiator from 'negotiator'

export async function GET(request: Request, { params }: { params: Promise<{ lang: string }> }) {
  const { lang } = await params
  const types = new Negotiator({ headers: { accept: request.headers.get('accept') ?? '*/*' } }).mediaTypes(['application/json', 'text/plain'])
  return Response.json({ lang, types })
}
