import type { MetadataRoute } from 'next'

export default function robots(): MetadataRoute.Robots {
  return {
    rules: [
      { userAgent: 'Googlebot', allow: ['/'], disallow: '/private/', crawlDelay: 2 },
      { userAgent: ['Applebot', 'Bingbot'], disallow: ['/', '/tmp'] },
    ],
    sitemap: ['https://acme.test/sitemap.xml', 'https://acme.test/products/sitemap/0.xml'],
    host: 'https://acme.test',
  }
}
