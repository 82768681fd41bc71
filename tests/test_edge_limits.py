"""An edge entry's limits, as edge platforms hold an isolate to them, and a request's life around a deploy or a Ctrl-C.

Memory outside V8's heap (ArrayBuffers) counts toward an entry's limit, as on Vercel and workerd. A request's edge
code may keep the CPU busy for as long as the request's time limit: a timer storm or a stuck ``cancel()`` is stopped
there, with an ``EdgeCpuLimitError`` and only that entry's realm made afresh; the timers a request starts end with it.
A request that arrives while its route is redeployed or removed gets the old or the new version, never a 500, and a
stream in flight finishes on the version it started on. Ctrl-C in the kernel stops the request in the host too: the
handler's ``request.signal`` fires, in edge code as in Node.js code.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

import nbruntime

COUNTER = "let n = 0\nexport function GET() { return new Response(`still here ${++n}`) }"


@pytest.fixture
def app() -> Iterator[nbruntime.App]:
    with nbruntime.App(timeout=1, stream_timeout=60) as app:
        app.deploy("app/api/witness/route.ts", COUNTER, runtime="edge")
        yield app


def witness(app: nbruntime.App) -> str:
    return app.request("GET", "/api/witness").text


# -- the memory limit, in V8's heap and outside it -------------------------------------------------------------

HOARDERS = {  # about 32 MB of JavaScript arrays, and 40 MB of ArrayBuffers (outside V8's heap)
    "heap": "for (let i = 0; i < 40; i++) kept.push(new Array(1e5).fill(i + 0.5))",
    "arraybuffers": "for (let i = 0; i < 40; i++) kept.push(new Uint8Array(1 << 20).fill(i))",
}


@pytest.mark.parametrize("memory", HOARDERS)
@pytest.mark.parametrize(("limit", "tripped"), [(16, True), (128, False)])
def test_the_edge_memory_limit_is_configurable_and_counts_arraybuffers(memory, limit, tripped):
    with nbruntime.App(edge_memory_mb=limit) as app:
        hoard = f"""export function GET() {{
  const kept = []
  {HOARDERS[memory]}
  return new Response(String(kept.length))
}}"""
        app.deploy("app/api/hoard/route.ts", hoard, runtime="edge")
        app.deploy("app/api/witness/route.ts", COUNTER, runtime="edge")
        assert witness(app) == "still here 1"
        r = app.request("GET", "/api/hoard")
        if tripped:
            assert (r.status, r.error.name) == (500, "EdgeMemoryLimitError")
            assert f"app/api/hoard/route.ts exceeded its {limit} MB memory limit" in r.error.message
        else:
            assert (r.status, r.text, r.error) == (200, "40", None)
        assert witness(app) == "still here 2" and app.restarts == 0  # the other entry kept its state


@pytest.mark.parametrize(("heap_mb", "edge_memory_mb"), [(128, 128), (2048, 0)])
def test_an_edge_memory_limit_the_host_heap_cannot_hold_is_refused(heap_mb, edge_memory_mb):
    """Edge entries share the host's heap (as in next start): with a limit at or past the heap, an entry would take the
    whole host down (a heap out-of-memory restart) instead of failing alone with EdgeMemoryLimitError."""
    with pytest.raises(ValueError, match=rf"edge_memory_mb \({edge_memory_mb}\) must be above 0 and below heap_mb"):
        nbruntime.App(heap_mb=heap_mb, edge_memory_mb=edge_memory_mb)


def test_an_arraybuffer_bomb_is_stopped_while_it_runs(app):
    app.deploy("app/api/bomb/route.ts", """export function GET() {
  const kept = []
  for (;;) kept.push(new Uint8Array(1 << 20).fill(1))
}""", runtime="edge")
    pid = app.host_pid
    r = app.request("GET", "/api/bomb", timeout=20)
    assert (r.status, r.error.name) == (500, "EdgeMemoryLimitError")
    assert (app.host_pid, app.restarts) == (pid, 0)
    assert witness(app) == "still here 1"


# -- CPU time and timers ---------------------------------------------------------------------------------------

def test_timers_started_by_a_request_end_with_it(app):
    app.deploy("app/api/ticker/route.ts", """let ticks = 0
export function GET(request: Request) {
  if (new URL(request.url).searchParams.has('count')) return new Response(String(ticks))
  setInterval(() => { ticks++ }, 5)
  return new Response('started')
}""", runtime="edge")
    assert app.request("GET", "/api/ticker").text == "started"
    time.sleep(0.2)
    first = int(app.request("GET", "/api/ticker?count").text)
    time.sleep(0.3)
    assert int(app.request("GET", "/api/ticker?count").text) == first  # the interval went with its request


def test_a_timer_storm_is_stopped_by_the_requests_cpu_budget(app):
    app.deploy("app/api/storm/route.ts", """export function GET() {
  setInterval(() => { const until = Date.now() + 20; while (Date.now() < until) {} }, 0)
  return new Response(new ReadableStream({ pull() { return new Promise(() => {}) } }))  // a body that never ends
}""", runtime="edge")
    pid = app.host_pid
    started = time.monotonic()
    r = app.request("GET", "/api/storm")
    assert time.monotonic() - started < 15  # the budget is the time limit (1 s) and a cancel's grace, not 60 s
    assert (r.status, r.error.name) == (200, "EdgeCpuLimitError")
    assert "app/api/storm/route.ts used up its request's CPU time" in r.error.message
    assert (app.host_pid, app.restarts) == (pid, 0)
    assert witness(app) == "still here 1"


def test_a_stuck_cancel_is_stopped_and_nothing_keeps_spinning(app):
    app.deploy("app/api/stuck/route.ts", """export function GET() {
  let sent = false
  return new Response(new ReadableStream({
    pull(c) {
      if (sent) return new Promise(() => {})
      sent = true
      c.enqueue(new TextEncoder().encode('first'))
    },
    cancel() { for (;;) {} },
  }))
}""", runtime="edge")
    pid = app.host_pid
    started = time.monotonic()
    with app.stream("GET", "/api/stuck") as stream:
        for chunk in stream:
            assert chunk.data == b"first"
            break  # leaving early cancels the body: its cancel() never returns
    assert time.monotonic() - started < 5
    took = time.monotonic()
    assert witness(app) == "still here 1"
    assert time.monotonic() - took < 1  # the host is free again
    assert (app.host_pid, app.restarts) == (pid, 0)


# -- deploys while requests come -------------------------------------------------------------------------------

VERSION = "export function GET() {{ return new Response('{text}') }}"
# A version that fails to evaluate, slowly: requests meanwhile must still get the old one.
FAILING = "await new Promise(r => setTimeout(r, 300))\nthrow new Error('bad version')\nexport function GET() {}"


@contextlib.contextmanager
def hammered(app: nbruntime.App, path: str) -> Iterator[list]:
    """Requests ``path`` from another thread for as long as the block runs; yields the answers so far."""
    answers: list = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            r = app.request("GET", path, timeout=10)
            answers.append((r.status, r.text if r.status != 500 else repr(r.error)))

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield answers
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_requests_during_redeploys_get_the_old_or_the_new_version(runtime):
    with nbruntime.App() as app:
        app.deploy("app/api/v/route.ts", VERSION.format(text="v0"), runtime=runtime)
        with hammered(app, "/api/v") as answers:
            for version in range(1, 6):
                with pytest.raises(nbruntime.BuildError, match="bad version"):
                    app.deploy("app/api/v/route.ts", FAILING, runtime=runtime)
                app.deploy("app/api/v/route.ts", VERSION.format(text=f"v{version}"), runtime=runtime)
        assert len(answers) > 10
        assert {status for status, _ in answers} == {200}, [a for a in answers if a[0] != 200][:3]
        assert {text for _, text in answers} <= {f"v{n}" for n in range(6)}


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_requests_during_undeploys_get_the_route_or_a_404(runtime):
    with nbruntime.App() as app:
        app.deploy("app/api/v/route.ts", VERSION.format(text="here"), runtime=runtime)
        with hammered(app, "/api/v") as answers:
            for _ in range(15):
                app.undeploy("app/api/v/route.ts")
                app.deploy("app/api/v/route.ts", VERSION.format(text="here"), runtime=runtime)
        assert {status for status, _ in answers} <= {200, 404}, [a for a in answers if a[0] not in (200, 404)][:3]


@pytest.mark.parametrize("change", ["redeploy", "undeploy"])
@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_a_stream_in_flight_finishes_on_the_version_it_started_on(runtime, change):
    slow = """export function GET() {{
  let i = 0
  return new Response(new ReadableStream({{ async pull(c) {{
    if (i === 5) return c.close()
    await new Promise(r => setTimeout(r, 80))
    c.enqueue(new TextEncoder().encode('{text}' + i++))
  }} }}))
}}"""
    with nbruntime.App() as app:
        app.deploy("app/api/slow/route.ts", slow.format(text="old"), runtime=runtime)
        with app.stream("GET", "/api/slow") as stream:
            pieces = []
            for chunk in stream:
                pieces.append(chunk.data)
                if len(pieces) == 2:
                    if change == "redeploy":
                        app.deploy("app/api/slow/route.ts", slow.format(text="new"), runtime=runtime)
                    else:
                        app.undeploy("app/api/slow/route.ts")
        assert (stream.response.error, b"".join(pieces)) == (None, b"old0old1old2old3old4")
        after = app.request("GET", "/api/slow")
        assert after.text == "new0new1new2new3new4" if change == "redeploy" else after.status == 404


# A version that holds 24 MB for as long as its realm lives.
HOLDING = "globalThis.held = new Array(3e6).fill({n})\n"
ANSWER = {
    "app/api/v/route.ts": "export function GET() {{ return new Response('v{n}') }}",
    "middleware.ts": "export function middleware() {{ return new Response('v{n}') }}",
}


@pytest.mark.parametrize("file", ANSWER)
def test_the_realm_of_a_redeployed_edge_entry_is_freed(file):
    """60 versions of 24 MB each (1.4 GB): each realm must be freed once the next version is in place (V8's compilation
    cache kept every module made, and with it its realm), and soon: V8 alone put the collection off until the heap
    neared its limit, the host holding ~1 GB of old versions."""
    with nbruntime.App() as app:
        peak = 0
        for n in range(60):
            app.deploy(file, HOLDING.format(n=n) + ANSWER[file].format(n=n), runtime="edge")
            assert app.request("GET", "/api/v").text == f"v{n}"
            peak = max(peak, psutil.Process(app.host_pid).memory_info().rss)
        assert peak < 400 * 2**20, f"the host grew to {peak / 2**20:.0f} MB"


# -- Ctrl-C ----------------------------------------------------------------------------------------------------

WAITS_FOR_ABORT = """let seen = 'nothing'
export async function GET(request: Request) {
  if (new URL(request.url).searchParams.has('seen')) return new Response(seen)
  await new Promise((resolve) => request.signal.addEventListener('abort', () => {
    seen = `aborted (${request.signal.reason?.name})`
    resolve(null)
  }))
  return new Response('too late')
}"""


CHURNS = """export function GET() {
  let bytes = 0
  for (let i = 0; i < 6; i++) bytes += new Uint8Array(16 << 20).fill(1).length
  const objects = []
  for (let i = 0; i < 200000; i++) objects.push({ i, text: 'x' + i })
  return new Response(String(bytes + objects.length))
}"""


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_a_handler_waiting_for_the_abort_gets_it_after_garbage_collections(runtime):
    """undici's Request follows the signal it is given through a weak reference: a handler that only waits for the
    abort held its request through nothing else, and once V8 collected it the abort reached no one (Next's docs:
    request.signal aborts when the client goes; here when the request times out)."""
    with nbruntime.App() as app:
        app.deploy("app/api/wait/route.ts", WAITS_FOR_ABORT, runtime=runtime)
        app.deploy("app/api/churn/route.ts", CHURNS, runtime=runtime)
        waiting = threading.Thread(target=app.request, args=("GET", "/api/wait"), kwargs={"timeout": 1.5})
        waiting.start()
        time.sleep(0.2)
        for _ in range(15):  # collections, in the thread that runs the waiting handler
            assert app.request("GET", "/api/churn").status == 200
        waiting.join()
        deadline = time.monotonic() + 5
        while (seen := app.request("GET", "/api/wait?seen").text) == "nothing" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == "aborted (AbortError)"


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_ctrl_c_on_a_request_aborts_it_in_the_host_too(runtime):
    with nbruntime.App() as app:
        app.deploy("app/api/wait/route.ts", WAITS_FOR_ABORT, runtime=runtime)
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()  # Ctrl-C, while the request waits
        with pytest.raises(KeyboardInterrupt):
            app.request("GET", "/api/wait")
        assert app.history[-1].response.error.name == "AbortError"
        deadline = time.monotonic() + 5
        while (seen := app.request("GET", "/api/wait?seen").text) == "nothing" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == "aborted (AbortError)"
