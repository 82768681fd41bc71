import { readFileSync } from 'node:fs'
import { join } from 'node:path'

// A Node.js route sees next start's environment and a project folder holding package.json.
export function GET() {
  const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'))
  const key = 'NEXT_PUBLIC_SITE_NAME'
  return Response.json({
    nodeEnv: process.env.NODE_ENV,
    runtime: process.env.NEXT_RUNTIME,
    greeting: process.env.GREETING,
    shared: process.env.SHARED,
    prodOnly: process.env.PROD_ONLY ?? null,
    localOnly: process.env.LOCAL_ONLY ?? null,
    devOnly: process.env.DEV_ONLY ?? null,
    expanded: process.env.EXPANDED,
    site: process.env.NEXT_PUBLIC_SITE_NAME,
    siteByKey: process.env[key],
    cwd: process.cwd(),
    pkg: { name: typeof pkg.name, private: pkg.private, next: typeof pkg.dependencies?.next },
  })
}
