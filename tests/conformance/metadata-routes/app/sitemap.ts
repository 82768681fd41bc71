import type { MetadataRoute } from 'next'

export default async function sitemap(): Promise<MetadataRoute.Sitemap> {
  return [
    {
      url: 'https://acme.test',
      lastModified: new Date('2024-03-05T10:20:30Z'),
      changeFrequency: 'yearly',
      priority: 1,
    },
    {
      url: 'https://acme.test/about?a=1&b=<2>',
      lastModified: '2024-01-01',
      changeFrequency: 'monthly',
      priority: 0.8,
      alternates: { languages: { es: 'https://acme.test/es/about', de: 'https://acme.test/de/about' } },
    },
    { url: 'https://acme.test/blog', images: ['https://acme.test/a.png'] },
  ]
}
