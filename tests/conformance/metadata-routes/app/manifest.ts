import type { MetadataRoute } from 'next'

export default function manifest(): MetadataRoute.Manifest {
  return {
    name: 'Acme "App"',
    short_name: 'Acme',
    start_url: '/',
    display: 'standalone',
    icons: [{ src: '/icon.png', sizes: '192x192', type: 'image/png' }],
  }
}
