import type { MetadataRoute } from 'next'

export async function generateSitemaps() {
  return [{ id: 0 }, { id: 1 }]
}

export default async function sitemap(props: { id: any }): Promise<MetadataRoute.Sitemap> {
  const id = await props.id
  return [{ url: `https://acme.test/products/${id}?type=${typeof id}` }]
}
