export const runtime = 'edge'

// CommonJS require of a Node.js built-in from edge code: Next's edge sandbox answers a few of them.
export function GET() {
  const util = require('node:util')
  const { Buffer } = require('node:buffer')
  return Response.json({ formatted: util.format('%s-%d', 'a', 1), keys: Object.keys(util).sort(),
    base64: Buffer.from('hi').toString('base64'), kind: typeof require })
}
