import { run } from './lib/run'

export function middleware() {
  try {
    return new Response(`value: ${run('6 * 7')}`)
  } catch (e) {
    return new Response(`${(e as Error).name}: ${(e as Error).message}`, { status: 500 })
  }
}

export const config = { matcher: '/api/:path*', unstable_allowDynamic: ['/lib/run.ts'] }
