import * as bufferModule from 'buffer'
import * as eventsModule from 'node:events'
import * as assertModule from 'assert'
import * as utilModule from 'node:util'
import * as hooksModule from 'async_hooks'
import { EventEmitter } from 'events'
import { promisify } from 'util'

export const runtime = 'edge'

// The Node modules edge code may import, and which of their exports it sees.
export async function GET() {
  const keys = (m: object) => Object.keys(m).sort()
  const emitter = new EventEmitter()
  let heard = ''
  emitter.on('x', (v: string) => { heard = v })
  emitter.emit('x', 'event')
  const wait = promisify((ms: number, done: (e: null, v: string) => void) => setTimeout(() => done(null, 'promisified'), ms))
  return Response.json({
    buffer: keys(bufferModule),
    events: keys(eventsModule),
    assert: keys(assertModule),
    util: keys(utilModule),
    async_hooks: keys(hooksModule),
    heard,
    waited: await wait(1),
  })
}
