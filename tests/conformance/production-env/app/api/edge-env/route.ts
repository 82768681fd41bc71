export const runtime = 'edge'

export function GET() {
  return Response.json({
    nodeEnv: process.env.NODE_ENV,
    runtime: process.env.NEXT_RUNTIME,
    shared: process.env.SHARED,
    site: process.env.NEXT_PUBLIC_SITE_NAME,
    devOnly: process.env.DEV_ONLY ?? null,
  })
}
