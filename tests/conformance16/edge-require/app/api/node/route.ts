// The same require calls from a Node.js route, where every built-in is there.
export function GET() {
  const util = require('node:util')
  const { createHash } = require('crypto')
  return Response.json({ formatted: util.format('%s-%d', 'a', 1), hash: createHash('sha256').update('x').digest('hex').slice(0, 8),
    kind: typeof require })
}
