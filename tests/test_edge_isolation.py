"""Each edge entry runs in a context of its own, held to a memory limit as on edge platforms (all of them share the
host's thread, as in next start): a memory bomb or a runaway loop there fails its request, and the host and every other
deployment carry on. Everything else an edge handler does still works across its realm's wall: streaming, console,
cookies, after().
"""

import time
from collections.abc import Iterator

import anyio
import pytest

import nbruntime

COUNTER = "let n = 0\nexport function GET() {{ return new Response(`{name} ${{++n}}`) }}"
BOMB = """export function GET(request: Request) {
  if (!new URL(request.url).searchParams.has('bomb')) return new Response('calm')
  const kept = []
  for (let i = 0; ; i++) kept.push(new Array(1e5).fill(i + 0.5))
}"""


@pytest.fixture
def app() -> Iterator[nbruntime.App]:
    with nbruntime.App() as app:
        app.deploy("app/api/node/route.ts", COUNTER.format(name="node"), runtime="nodejs")
        app.deploy("app/api/edge/route.ts", COUNTER.format(name="edge"), runtime="edge")
        yield app


def counters(app: nbruntime.App) -> tuple[str, str]:
    return app.request("GET", "/api/node").text, app.request("GET", "/api/edge").text


def test_an_edge_memory_bomb_is_a_compatibility_error_and_nothing_else_is_lost(app):
    app.deploy("app/api/bomb/route.ts", BOMB, runtime="edge")
    assert counters(app) == ("node 1", "edge 1")
    pid = app.host_pid
    started = time.monotonic()
    r = app.request("GET", "/api/bomb?bomb")
    assert time.monotonic() - started < 20
    assert (r.status, r.error.kind, r.error.name) == (500, "exception", "EdgeMemoryLimitError")
    assert "Internal Server Error" in r.text  # the page Next sends for an edge route's error
    assert "app/api/bomb/route.ts exceeded its 128 MB memory limit" in r.error.message
    assert "edge_memory_mb" in r.error.notes[0]
    assert (app.host_pid, app.restarts) == (pid, 0)
    # the bomb's isolate starts afresh; the host's modules and the other isolate kept their state
    assert app.request("GET", "/api/bomb").text == "calm"
    assert counters(app) == ("node 2", "edge 2")


def test_an_edge_middleware_memory_bomb_answers_the_middleware_error_page(app):
    app.deploy("middleware.ts", """export function middleware(request: Request) {
  if (!new URL(request.url).searchParams.has('bomb')) return
  const kept = []
  for (let i = 0; ; i++) kept.push(new Array(1e5).fill(i + 0.5))
}""", runtime="edge")
    r = app.request("GET", "/api/node?bomb")
    assert (r.status, r.error.name) == (500, "EdgeMemoryLimitError")
    assert "middleware.ts exceeded its 128 MB memory limit" in r.error.message
    assert counters(app) == ("node 1", "edge 1")
    assert app.restarts == 0


SPIN = """export function GET(request: Request) {
  if (new URL(request.url).searchParams.has('spin')) while (true) {}
  return new Response('free')
}"""


def assert_the_spin_stops_and_the_host_stays(app: nbruntime.App) -> None:
    """SPIN's spinning request is stopped at the app's time limit; the host, and the route, stay."""
    pid = app.host_pid
    started = time.monotonic()
    r = app.request("GET", "/api/spin?spin")
    assert time.monotonic() - started < 5
    assert (r.status, r.error.kind) == (504, "timeout")
    assert (app.host_pid, app.restarts) == (pid, 0)
    assert app.request("GET", "/api/spin").text == "free"


def test_a_runaway_edge_handler_is_stopped_without_restarting_the_host(app):
    app.deploy("app/api/spin/route.ts", SPIN, runtime="edge")
    assert counters(app) == ("node 1", "edge 1")
    app.timeout = 1.0
    assert_the_spin_stops_and_the_host_stays(app)
    assert counters(app) == ("node 2", "edge 2")


def test_a_runaway_first_request_of_a_new_host_is_stopped_without_restarting_it():
    """The thread that stops edge code starts with the first edge cell and boots while it deploys (edge-runtime.mjs):
    a runaway request sent at once, perhaps before it is up, is stopped all the same, and the host stays."""
    with nbruntime.App(timeout=1.0) as app:
        app.deploy("app/api/spin/route.ts", SPIN, runtime="edge")
        assert_the_spin_stops_and_the_host_stays(app)


def test_an_edge_stream_that_blocks_after_its_first_chunk_is_cut_off_without_restarting_the_host(app):
    app.deploy("app/api/spin/route.ts", """export function GET() {
  let sent = false
  return new Response(new ReadableStream({ async pull(c) {
    if (!sent) { sent = true; c.enqueue(new TextEncoder().encode('first')); return }
    await new Promise(r => setTimeout(r, 50))
    while (true) {}
  } }))
}""", runtime="edge")
    pid = app.host_pid
    app.stream_timeout = 1.0
    started = time.monotonic()
    r = app.request("GET", "/api/spin")
    assert time.monotonic() - started < 5
    assert (r.status, r.body, r.error.kind) == (200, b"first", "timeout")
    assert (app.host_pid, app.restarts) == (pid, 0)
    assert counters(app) == ("node 1", "edge 1")
    assert app.request("GET", "/api/spin").chunks[0].data == b"first"  # a fresh isolate answers again


def test_streaming_console_and_errors_come_back_from_the_isolate(app):
    app.deploy("app/api/ticks/route.ts", """export function GET() {
  console.log('starting')
  let i = 0
  return new Response(new ReadableStream({ async pull(c) {
    if (i === 3) { console.error('done'); return c.close() }
    await new Promise(r => setTimeout(r, 60))
    c.enqueue(new TextEncoder().encode(`tick ${++i}\\n`))
  } }))
}""", runtime="edge")
    r = app.request("GET", "/api/ticks")
    assert [c.data for c in r.chunks] == [b"tick 1\n", b"tick 2\n", b"tick 3\n"]
    assert [(line.level, line.text) for line in r.logs] == [("log", "starting"), ("error", "done")]
    throws = "export function GET() {\n  const x = 1\n  throw new TypeError(`bad ${x}`)\n}"
    app.deploy("app/api/throws/route.ts", throws, runtime="edge")
    r = app.request("GET", "/api/throws")
    assert (r.status, r.error.name, r.error.message) == (500, "TypeError", "bad 1")
    assert (r.error.file, r.error.line, r.error.column) == ("app/api/throws/route.ts", 3, 9)


def test_a_large_body_crosses_the_isolate_both_ways_whole(app):
    app.deploy("app/api/echo/route.ts", """export async function POST(request: Request) {
  const bytes = new Uint8Array(await request.arrayBuffer())
  let sent = 0
  return new Response(new ReadableStream({ pull(c) {
    if (sent >= bytes.length) return c.close()
    c.enqueue(bytes.subarray(sent, sent + 65536))
    sent += 65536
  } }))
}""", runtime="edge")
    body = bytes(range(256)) * (24 * 1024)  # 6 MB, past the worker's window of unacknowledged bytes
    r = app.request("POST", "/api/echo", body=body)
    assert (r.status, r.error) == (200, None)
    assert r.body == body and r.chunk_count == len(body) // 65536


def test_console_lines_land_in_their_own_requests_when_isolates_run_at_once(app):
    for name in ("a", "b"):
        app.deploy(f"app/api/{name}/route.ts", f"""export async function GET(request: Request) {{
  const n = new URL(request.url).searchParams.get('n')
  for (let i = 0; i < 3; i++) {{ console.log('{name}', n, i); await new Promise(r => setTimeout(r, 5)) }}
  return new Response('{name}' + n)
}}""", runtime="edge")

    async def everyone() -> list[nbruntime.Response]:
        results: list[nbruntime.Response] = [None] * 20  # type: ignore[list-item]

        async def one(i: int) -> None:
            results[i] = await app.arequest("GET", f"/api/{'ab'[i % 2]}?n={i}")

        async with anyio.create_task_group() as group:
            for i in range(20):
                group.start_soon(one, i)
        return results

    for i, r in enumerate(anyio.run(everyone)):
        assert r.text == f"{'ab'[i % 2]}{i}"
        assert [line.text for line in r.logs] == [f"{'ab'[i % 2]} {i} {k}" for k in range(3)]


def test_cookies_headers_and_after_work_through_the_isolates(app):
    app.deploy("middleware.ts", """import { cookies } from 'next/headers'
export async function middleware() {
  (await cookies()).set('from-middleware', 'm')
}
export const config = { matcher: '/api/jar' }""", runtime="edge")
    app.deploy("app/api/jar/route.ts", """import { cookies, headers } from 'next/headers'
import { after } from 'next/server'
export async function GET() {
  const jar = await cookies()
  jar.set('from-route', 'r')
  after(async () => { await new Promise(r => setTimeout(r, 30)); console.log('after ran') })
  const seen = jar.get('from-middleware')?.value + ' ' + (await headers()).get('x-probe')
  return new Response(seen)
}""", runtime="edge")
    r = app.request("GET", "/api/jar", headers={"x-probe": "p"})
    assert (r.status, r.text) == (200, "m p")
    assert sorted(r.headers.get_list("set-cookie")) == ["from-middleware=m; Path=/", "from-route=r; Path=/"]
    assert [line.text for line in r.logs] == ["after ran"]
    assert [s.name for s in r.trace.steps][-1] == "after"


def test_redeploying_a_shared_module_reaches_the_isolate_and_resets_its_state(app):
    app.deploy("lib/word.ts", "export const word = 'one'")
    app.deploy("app/api/word/route.ts", "import { word } from '@/lib/word'\nlet n = 0\n"
               "export function GET() { return new Response(`${word} ${++n}`) }", runtime="edge")
    assert [app.request("GET", "/api/word").text for _ in range(2)] == ["one 1", "one 2"]
    app.deploy("lib/word.ts", "export const word = 'two'")
    assert app.request("GET", "/api/word").text == "two 1"
    assert counters(app) == ("node 1", "edge 1")  # an unrelated isolate keeps its realm
    app.undeploy("app/api/word/route.ts")
    assert app.request("GET", "/api/word").status == 404
