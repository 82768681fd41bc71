export const runtime = 'edge'

export function GET() {
  const { EventEmitter } = require('events')
  const { AsyncLocalStorage } = require('node:async_hooks')
  const emitter = new EventEmitter()
  let heard = ''
  emitter.on('x', (value: string) => { heard = value })
  emitter.emit('x', 'hello')
  const store = new AsyncLocalStorage()
  return Response.json({ heard, inside: store.run(42, () => store.getStore()) })
}
