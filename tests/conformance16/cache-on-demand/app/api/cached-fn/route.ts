import { unstable_cache } from 'next/cache'

let loads = 0
const price = unstable_cache(async (item: string) => {
  loads += 1
  return { item, loads }
}, ['price'], { tags: ['prices'], revalidate: 2 })

// Dynamic (reads the query): each request calls the cached function, which is its own cache.
export async function GET(request: Request & { nextUrl: URL }) {
  const item = request.nextUrl.searchParams.get('item') ?? 'none'
  return Response.json(await price(item))
}
