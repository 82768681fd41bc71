"""The Python API end to end: deploy cells, send requests, read streamed responses."""

import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from examples import TICKS

import nbruntime


def test_streamed_chunks_arrive_one_by_one_about_100ms_apart(app):
    app.deploy("app/api/stream/route.ts", TICKS, runtime="edge")
    r = app.request("GET", "/api/stream")
    assert (r.status, r.headers["content-type"], r.text) == (200, "text/plain", "tick 1\ntick 2\ntick 3\n")
    assert [c.data for c in r.chunks] == [b"tick 1\n", b"tick 2\n", b"tick 3\n"]
    gaps = [b.t_ms - a.t_ms for a, b in zip(r.chunks, r.chunks[1:], strict=False)]
    assert all(80 <= gap <= 250 for gap in gaps), gaps


def test_stream_yields_each_chunk_before_the_next_is_produced(app):
    app.deploy("app/api/stream/route.ts", TICKS, runtime="edge")
    seen = []
    with app.stream("GET", "/api/stream") as stream:
        assert stream.status == 200
        for chunk in stream:
            seen.append((chunk.data, len(stream.response.chunks)))
    assert seen == [(b"tick 1\n", 1), (b"tick 2\n", 2), (b"tick 3\n", 3)]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_stream_and_arequest(app, backend):
    app.deploy("app/api/stream/route.ts", TICKS, runtime="edge")
    app.deploy("app/api/ok/route.ts", "export const GET = () => new Response('ok')")

    async def chunks_of(path):
        async with app.stream("GET", path) as stream:
            return [chunk.data async for chunk in stream]

    async def main():
        chunks = [await chunks_of("/api/stream"), await chunks_of("/api/ok")]  # (a body made at once: one frame)
        many = await _gather(*(app.arequest("GET", "/api/stream") for _ in range(5)))
        return chunks, [r.text for r in many]

    chunks, texts = anyio.run(main, backend=backend)
    assert chunks == [[b"tick 1\n", b"tick 2\n", b"tick 3\n"], [b"ok"]]
    assert texts == ["tick 1\ntick 2\ntick 3\n"] * 5


async def _gather(*coroutines):
    results = [None] * len(coroutines)

    async def run(i, coroutine):
        results[i] = await coroutine

    async with anyio.create_task_group() as group:
        for i, coroutine in enumerate(coroutines):
            group.start_soon(run, i, coroutine)
    return results


def test_request_body_json_headers_and_multi_valued_response_headers(app):
    app.deploy(
        "app/api/echo/route.ts",
        """
export async function POST(request: Request) {
  const data = await request.json()
  const headers = new Headers({ 'content-type': 'application/json' })
  headers.append('set-cookie', 'a=1; Path=/')
  headers.append('set-cookie', 'b=2; Path=/')
  return new Response(JSON.stringify({ data, agent: request.headers.get('x-agent'), url: request.url }), { headers })
}""",
    )
    r = app.request("POST", "/api/echo?q=1", headers={"X-Agent": "pytest"}, json={"n": [1, 2]})
    assert r.json() == {"data": {"n": [1, 2]}, "agent": "pytest", "url": "http://localhost:3000/api/echo?q=1"}
    whole = app.request("POST", "http://localhost:3000/api/echo?q=1", json={})  # a whole URL keeps its query
    assert whole.json()["url"] == "http://localhost:3000/api/echo?q=1"
    assert r.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert ("set-cookie", "b=2; Path=/") in r.headers.multi_items()
    assert r.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_binary_bodies_travel_intact(app, runtime):
    app.deploy(
        "app/api/bytes/route.ts",
        """
export async function POST(request: Request) {
  const bytes = new Uint8Array(await request.arrayBuffer())
  return new Response(bytes.slice().reverse(), { headers: { 'content-type': 'application/octet-stream' } })
}""",
        runtime=runtime,
    )
    every_byte = bytes(range(256)) * 4
    assert app.request("POST", "/api/bytes", body=every_byte).body == every_byte[::-1]


def test_dynamic_catch_all_and_optional_segments_get_params_as_a_promise(app):
    handler = (
        "export async function GET(_: Request, { params }: { params: Promise<any> }) "
        "{ return Response.json({ file: '%s', params: await params }) }"
    )
    for file in [
        "app/users/[id]/route.ts",
        "app/users/me/route.ts",
        "app/docs/[...slug]/route.ts",
        "app/shop/[[...parts]]/route.ts",
    ]:
        app.deploy(file, handler % file)
    assert app.request("GET", "/users/42").json() == {"file": "app/users/[id]/route.ts", "params": {"id": "42"}}
    assert app.request("GET", "/users/me").json()["file"] == "app/users/me/route.ts"
    assert app.request("GET", "/docs/a/b%20c").json()["params"] == {"slug": ["a", "b c"]}
    assert app.request("GET", "/docs").status == 404
    assert app.request("GET", "/shop").json()["params"] == {}
    assert app.request("GET", "/shop/x/y").json()["params"] == {"parts": ["x", "y"]}


def test_methods_head_options_405_and_404(app):
    app.deploy(
        "app/api/ping/route.ts",
        "export function GET() { return new Response('pong') }\n"
        "export function POST() { return new Response('posted') }",
    )
    assert app.request("HEAD", "/api/ping").status == 200
    assert app.request("HEAD", "/api/ping").body == b""
    options = app.request("OPTIONS", "/api/ping")
    assert (options.status, options.headers["allow"]) == (204, "GET, HEAD, OPTIONS, POST")
    assert app.request("DELETE", "/api/ping").status == 405
    missing = app.request("GET", "/nope")
    assert missing.status == 404 and "<title>404: This page could not be found</title>" in missing.text


def test_cells_import_each_other_and_redeploying_replaces(app):
    app.deploy("lib/greet.ts", "export const greet = (name: string): string => `hello ${name}`")
    app.deploy(
        "app/api/hi/route.ts",
        "import { greet } from '../../../lib/greet'\n"
        "import { greet as again } from '@/lib/greet'\n"
        "export function GET() { return new Response(greet('ada') + '|' + again('bo')) }",
    )
    assert app.request("GET", "/api/hi").text == "hello ada|hello bo"
    app.deploy("lib/greet.ts", "export const greet = (name: string) => `hi ${name}`")
    assert app.request("GET", "/api/hi").text == "hi ada|hi bo"


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_console_output_is_kept_apart_from_the_body_each_line_with_its_level(app, runtime):
    app.deploy("app/api/log/route.ts", """export function GET() {
  console.log('seen', {a: 1}); console.info('fyi'); console.debug('details'); console.warn('careful')
  console.group('group'); console.warn('indented'); console.groupEnd(); console.error('oops')
  return new Response('body')
}""", runtime=runtime)
    r = app.request("GET", "/api/log")
    assert r.text == "body"
    assert [(x.level, x.text) for x in r.logs] == [
        ("log", "seen { a: 1 }"), ("info", "fyi"), ("debug", "details"), ("warn", "careful"), ("log", "group"),
        ("warn", "  indented"), ("error", "oops")]


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_an_error_a_handler_logs_shows_the_cells_frames_not_the_hosts(app, runtime):
    """console.error(error) prints the error's stack, as next start does; the host's frames under the handler (its
    pipeline, the edge realm's membrane and slices, Node's internals) are not the app's and are left out."""
    app.deploy("app/api/log/route.ts", """export function GET() {
  try { JSON.parse('{') } catch (error) { console.error(error) }
  return new Response('body')
}""", runtime=runtime)
    [line] = app.request("GET", "/api/log").logs
    assert line.level == "error" and line.text.startswith("SyntaxError: ")
    assert line.text.splitlines()[1:] == ["    at JSON.parse (<anonymous>)", "    at GET (app/api/log/route.ts:2:14)"]


def test_node_runtime_sees_the_project_folder_as_its_working_directory(app):
    source = """import { readFileSync } from 'node:fs'
import path from 'node:path'
export function GET() {
  const text = readFileSync(path.join(process.cwd(), 'app/api/self/route.ts'), 'utf8')
  return Response.json({ lines: text.split('\\n').length, runtime: process.env.NEXT_RUNTIME ?? null })
}"""
    app.deploy("app/api/self/route.ts", source, runtime="nodejs")
    assert app.request("GET", "/api/self").json()["lines"] == source.count("\n") + 1
    assert (app.project_dir / "app/api/self/route.ts").read_text() == source


def test_a_refused_deploy_puts_back_the_cells_file_as_it_was_even_if_edited_outside_the_app(app):
    """A deploy writes the cell's file, then the host refuses the cell (its top level throws): the file goes back to
    what was there. The app keeps what it wrote, so as not to read it back; a file edited since is read."""
    route = "app/api/kept/route.ts"
    refused = "export function GET() { return new Response('x') }\nthrow new Error('boom')"
    deployed = "export function GET() { return new Response('deployed') }"
    file = app.project_dir / route
    for edited in ("export function GET() { return new Response('edited in an editor') }\n", None):
        app.deploy(route, deployed)
        if edited:
            file.write_text(edited)
        with pytest.raises(nbruntime.BuildError, match="boom"):
            app.deploy(route, refused)
        assert file.read_text() == (edited or deployed) and app.request("GET", "/api/kept").text == "deployed"


def test_edge_realm_is_separate_from_the_host(app):
    app.deploy(
        "app/api/realm/route.ts",
        """
(globalThis as any).leak = 1
export function GET() {
  let evalError = null
  try { (globalThis as any)['eval']('1 + 1') } catch (e) { evalError = (e as Error).name }
  return Response.json({
    require: typeof (globalThis as any).require, dirname: typeof (globalThis as any).__dirname,
    edge: typeof EdgeRuntime, evalError, runtime: process.env.NEXT_RUNTIME,
  })
}""",
        runtime="edge",
    )
    assert app.request("GET", "/api/realm").json() == {
        "require": "function",  # Next's sandbox has one, for the built-ins it offers (conformance/edge-globals)
        "dirname": "undefined",
        "edge": "string",
        "evalError": "EvalError",
        "runtime": "edge",
    }
    app.deploy(
        "app/api/host/route.ts", "export function GET() { return Response.json(typeof (globalThis as any).leak) }"
    )
    assert app.request("GET", "/api/host").json() == "undefined"


def test_runtime_follows_the_files_own_segment_config(app):
    assert app.deploy("app/a/route.ts", "export const runtime = 'edge'\nexport function GET() {}").runtime == "edge"
    assert app.deploy("app/b/route.ts", "export function GET() {}").runtime == "nodejs"
    assert app.deploy("middleware.ts", "export function middleware() {}").runtime == "edge"
    assert (
        app.deploy(
            "middleware.ts", "export function middleware() {}\nexport const config = { runtime: 'nodejs' }"
        ).runtime
        == "nodejs"
    )


def test_bad_request_input_is_refused_before_sending(app):
    with pytest.raises(nbruntime.RequestError, match="method"):
        app.request("FE TCH", "/")  # FETCH is a method token: it is sent, and answered as Next answers it
    with pytest.raises(nbruntime.RequestError, match="url"):
        app.request("GET", "/a path")
    with pytest.raises(nbruntime.RequestError, match="headers"):
        app.request("GET", "/", headers={"bad name": "x"})
    with pytest.raises(nbruntime.RequestError, match="body"):
        app.request("GET", "/", body="x")
    assert issubclass(nbruntime.RequestError, ValueError)


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_the_hosts_own_plumbing_is_not_in_process_env(app, runtime):
    app.deploy("app/api/env/route.ts", "export function GET() {\n"
               "  return Response.json(Object.keys(process.env).filter(k => k.startsWith('NBRUNTIME_')))\n}",
               runtime=runtime)
    assert app.request("GET", "/api/env").json() == []


def edge_threads(pid: int) -> int:
    """How many worker threads the host runs (Linux names each WorkerThread): the holder thread that stops edge code,
    started with the edge runtime."""
    return sum(thread_name(task) == "WorkerThread" for task in Path(f"/proc/{pid}/task").iterdir())


def thread_name(task: Path) -> str:
    """A thread's name, or "" for one that ended between the listing and the read (Node's short-lived helpers)."""
    try:
        return (task / "comm").read_text().strip()
    except FileNotFoundError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the host's threads from /proc")
def test_warming_an_app_boots_its_edge_runtime_where_middleware_runs_on_the_edge():
    """``%load_ext`` warms the app (``App.warm``) while the user writes a cell: in Next 15, whose middleware runs on the
    Edge by default, the edge runtime is set up then, not in the first edge cell; in Next 16 (``proxy.ts`` runs on
    Node.js, the Edge runtime is deprecated) it waits for an edge cell, as before."""
    with nbruntime.App() as fifteen:
        fifteen.warm()
        assert edge_threads(fifteen.host_pid) == 1
    with nbruntime.App(next="16") as sixteen:
        sixteen.warm()
        assert edge_threads(sixteen.host_pid) == 0
        sixteen.deploy("app/api/x/route.ts", "export const GET = () => new Response('x')", runtime="edge")
        assert edge_threads(sixteen.host_pid) == 1


# A fresh kernel: it warms an app, waits while the user writes a cell, then deploys a Node.js route whose top level
# tells whether Node's Web API classes (undici) were loaded by then.
WARMED_KERNEL = """
import time, nbruntime, nbruntime.syntax
with nbruntime.App() as app:
    app.warm()
    print(nbruntime.syntax._query.cache_info().currsize)
    time.sleep(0.5)
    app.deploy("app/api/x/route.ts", "const loaded = process.moduleLoadList.some((name) => name.includes('undici'))\\n"
               "export const GET = () => Response.json(loaded)", runtime="nodejs")
    print(app.request("GET", "/api/x").json())
"""


def test_a_warmed_app_readies_what_its_first_cell_and_request_need():
    """While the user writes the first cell, the kernel compiles the syntax queries a deploy's checks run (10 ms of the
    first deploy) and the host, once quiet, loads Node's Web API classes, which every request's pipeline uses (20-40 ms
    of the first request), even when the edge engine brought its own fetch (Next 15: middleware on the Edge)."""
    run = subprocess.run([sys.executable, "-c", WARMED_KERNEL], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["1", "True"]
