import dictionaries from '@/lib/dictionaries.json'

export async function GET(_request: Request, context: { params: Promise<{ locale: string }> }) {
  const { locale } = await context.params
  const all = dictionaries as Record<string, { hello: string }>
  return Response.json({ locale, words: all[locale] ?? null, locales: Object.keys(all) })
}
