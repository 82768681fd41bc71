"""The edge realm is sealed: nothing edge code can reach leads to Node.js's realm.

On Vercel's edge or in workerd, edge code sees only its own realm, and compiling strings throws. The emulator's
edge realm is built in Node.js from Node objects (the edge engine's Web APIs, Next's process polyfill,
AsyncLocalStorage, console, ...); these tests walk everything an edge cell can reach, from its globals, the
modules it may import, what Next's APIs return, errors, promises and stream controllers, and fail on any function
or object that is not the realm's own; then they try the escape chains that reached Node's `process` before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import nbruntime

# Walks the object graph from the roots, breadth first: own properties (values, getters and setters), getters'
# results, prototypes. A function is foreign if the realm's Function.prototype is not on its prototype chain; an
# object is foreign if its chain ends anywhere but at the realm's Object.prototype (or at nothing at all).
WALK = r"""
function walk(roots: [string, unknown][], limit = 60000) {
  const FunctionPrototype = Object.getPrototypeOf(function () {})
  const ObjectPrototype = Object.getPrototypeOf({})
  const seen = new Set<unknown>()
  const foreign: string[] = []
  const queue: [string, unknown][] = [...roots]
  const chain = (value: any) => {
    const links = []
    for (let link = value; link !== null; link = Object.getPrototypeOf(link)) links.push(link)
    return links
  }
  while (queue.length && seen.size < limit) {
    const [path, value] = queue.shift()!
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue
    seen.add(value)
    let links
    try { links = chain(value) } catch (error) { foreign.push(`${path}: its chain throws ${error}`); continue }
    if (typeof value === 'function' && !links.includes(FunctionPrototype)) foreign.push(`${path}: a foreign function`)
    else if (links.length > 1 && links.at(-1) !== ObjectPrototype) foreign.push(`${path}: a foreign object`)
    queue.push([`${path}.__proto__`, Object.getPrototypeOf(value)])
    let keys: (string | symbol)[] = []
    try { keys = Reflect.ownKeys(value) } catch {}
    for (const key of keys) {
      const name = `${path}.${String(key)}`
      let descriptor
      try { descriptor = Reflect.getOwnPropertyDescriptor(value, key) } catch { continue }
      if (!descriptor) continue
      if ('value' in descriptor) queue.push([name, descriptor.value])
      queue.push([`${name}<get>`, descriptor.get], [`${name}<set>`, descriptor.set])
      if (descriptor.get) {
        try { queue.push([`${name}()`, Reflect.apply(descriptor.get, value, [])]) }
        catch (error) { queue.push([`${name}!`, error]) }
      }
    }
  }
  return { foreign: foreign.slice(0, 30), count: foreign.length, seen: seen.size }
}
"""

SEAL_ROUTE = """import { NextRequest, NextResponse, after, userAgent } from 'next/server'
import { cookies, headers } from 'next/headers'
import * as bufferModule from 'buffer'
import * as eventsModule from 'events'
import * as utilModule from 'util'
import * as assertModule from 'assert'
import * as hooksModule from 'async_hooks'
""" + WALK + r"""
const caught = (fn: () => unknown) => { try { return fn() } catch (error) { return error } }
const rejected = async (fn: () => Promise<unknown>) => { try { return await fn() } catch (error) { return error } }

export async function GET(request: NextRequest) {
  let controller: unknown, reader: unknown
  const stream = new ReadableStream({ start(c) { controller = c; c.enqueue(new TextEncoder().encode('x')) } })
  reader = stream.getReader()
  const read = await (reader as any).read()
  const transform = new TransformStream()
  let sites: unknown[] = []
  ;(Error as any).prepareStackTrace = (_: unknown, frames: any[]) => {
    sites = frames.flatMap((f) => [f, f.getFunction?.(), f.getThis?.()])
    return 'stack'
  }
  caught(() => new ReadableStream({ start() { throw new Error('in a callback Node calls') } }))
  void new Error('frames').stack
  ;(Error as any).prepareStackTrace = undefined
  const response = NextResponse.json({ a: 1 })
  const roots: [string, unknown][] = [
    ['globalThis', globalThis], ['request', request], ['request.nextUrl', request.nextUrl],
    ['request.cookies', request.cookies], ['headers()', headers()], ['await headers()', await headers()],
    ['cookies()', cookies()], ['await cookies()', await cookies()], ['NextResponse.next()', NextResponse.next()],
    ['NextResponse.json()', response], ['response.cookies', response.cookies], ['userAgent', userAgent(request)],
    ['after', after], ['buffer', bufferModule], ['events', eventsModule], ['util', utilModule],
    ['assert', assertModule], ['async_hooks', hooksModule], ['import.meta', import.meta],
    ['controller', controller], ['reader', reader], ['read', read], ['transform', transform],
    ['text()', new Response('t').text()], ['await text()', await new Response('{"j":[1]}').json()],
    ['arrayBuffer', await new Response('ab').arrayBuffer()],
    ['digest', await crypto.subtle.digest('SHA-256', new Uint8Array(1))],
    ['encoded', new TextEncoder().encode('e')], ['Buffer.from', bufferModule.Buffer.from('b')],
    ['process.cwd!', caught(() => (process as any).cwd())],
    ['setImmediate!', caught(() => (globalThis as any).setImmediate)],
    ['status!', caught(() => new Response(null, { status: 1 }))],
    ['json!', await rejected(() => new Response('{').json())],
    ['fetch!', await rejected(() => fetch('not a url'))], ['clone!', caught(() => structuredClone(() => 1))],
    ['clone', structuredClone({ d: new Date(0), m: new Map([[1, {}]]) })], ['als', new AsyncLocalStorage()],
    ['timer', setTimeout(() => {}, 0)], ['abort', AbortSignal.abort()], ['sites', sites],
    ['url', new URL('http://x/?a=1')],
    ['pattern', new URLPattern({ pathname: '/a' })], ['form', new FormData()], ['blob', new Blob(['x'])],
    ['event', new Event('e')], ['stack', new Error('s')], ['emitter', new eventsModule.EventEmitter()],
  ]
  return Response.json(walk(roots))
}
"""


@pytest.fixture(scope="module")
def app() -> Iterator[nbruntime.App]:
    with nbruntime.App() as app:
        yield app


@pytest.mark.parametrize("kind", ["route", "middleware"])
def test_nothing_reachable_from_edge_code_is_foreign(app, kind):
    path = "app/api/seal/route.ts" if kind == "route" else "middleware.ts"
    source = SEAL_ROUTE.replace("function GET", "function GET" if kind == "route" else "function middleware")
    app.deploy(path, source, runtime="edge")
    r = app.request("GET", "/api/seal", headers={"cookie": "a=1", "user-agent": "Mozilla/5.0 (iPhone)"}, timeout=60)
    if kind == "middleware":
        app.undeploy(path)
    assert (r.status, r.error) == (200, None), r.error
    walked = r.json()
    assert walked["foreign"] == [] and walked["count"] == 0
    assert walked["seen"] > 2000  # the walk went far: thousands of objects, prototypes and functions


ESCAPES = {
    "console.log.constructor": "console.log.constructor('return process')()",
    "globalThis.constructor": "globalThis.constructor.constructor('return process')()",
    "fetch": "fetch.constructor('return process')()",
    "Response": "new Response('x').constructor.constructor('return process')()",
    "promise": "new Response('x').text().constructor.constructor('return process')()",
    "process": "process.constructor.constructor('return process')()",
    "process.env": "process.env.constructor.constructor('return process')()",
    "AsyncLocalStorage": "new AsyncLocalStorage().run.constructor('return process')()",
    "stub": "Object.getOwnPropertyDescriptor(globalThis, 'setImmediate').get.constructor('return process')()",
    "error": "(() => { try { process.cwd() } catch (e) { return e.constructor.constructor('return process')() } })()",
    "controller": "(() => { let r; new ReadableStream({ start(c) { r = c.enqueue.constructor('return process')() } });"
                  " return r })()",
    "async": "Object.getPrototypeOf(async () => {}).constructor('return process')()",
    "Symbol.for node:Object": "globalThis[Symbol.for('node:Object')].constructor('return process')()",
    "function realm": "Reflect.construct(Object, [], fetch.bind()).constructor.constructor('return process')()",
    "eval": "eval('process')",
    "new Function": "new Function('return process')()",
}


@pytest.mark.parametrize("chain", list(ESCAPES.values()), ids=list(ESCAPES))
def test_escape_chains_throw_as_on_the_edge(app, chain):
    app.deploy("app/api/escape/route.ts", f"""export async function GET() {{
  let leaked
  try {{ leaked = {chain} }} catch (error) {{
    return Response.json({{ threw: (error as Error).name, message: String((error as Error).message) }})
  }}
  return Response.json({{ leaked: typeof leaked, pid: typeof leaked?.pid, exit: typeof leaked?.exit }})
}}""", runtime="edge")
    r = app.request("GET", "/api/escape")
    assert r.status == 200, r.error
    answer = r.json()
    assert "leaked" not in answer, answer
    assert answer["threw"] in ("EvalError", "TypeError")
    if answer["threw"] == "EvalError":
        assert "Code generation from strings disallowed" in answer["message"]


def test_process_in_edge_code_is_next_stand_in_only(app):
    app.deploy("app/api/process/route.ts", """export function GET() {
  const p = process as any
  return Response.json({
    runtime: p.env.NEXT_RUNTIME, pid: p.pid ?? null, versions: p.versions ?? null, on: typeof p.on,
    mainModule: p.mainModule ?? null,
    binding: (() => { try { p.binding('fs'); return 'ran' } catch (e) { return (e as Error).message } })(),
    constructorIsObject: p.constructor === Object,
  })
}""", runtime="edge")
    answer = app.request("GET", "/api/process").json()
    assert answer == {
        "runtime": "edge", "pid": None, "versions": None, "on": "undefined", "mainModule": None,
        "binding": answer["binding"],
        "constructorIsObject": True,
    }
    assert answer["binding"].startswith("A Node.js API is used (process.binding) which is not supported in the Edge")
