"""The fault suite: each fault gets a clear error, the next request to any deployment works, nothing is lost.

What ``test_failures.py`` already proves is not repeated here (loops and never-answering handlers before the
head, a stalled stream, ``process.exit``, SIGKILL mid-stream, leaving a stream early). Every case here ends by
checking that the witnesses, an edge route and a node route sharing a module, still answer and are still
deployed as they were.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import signal
import struct
import time
from collections.abc import Iterator

import pytest
from host_module import HostModule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbruntime
from nbruntime.host import FrameDecoder, encode_frame, sign_record
from nbruntime.http import Request

WITNESSES = {
    "lib/greet.ts": "export const greet = (who: string): string => `still here: ${who}`",
    "app/api/w/edge/route.ts": "import { greet } from '@/lib/greet'\nexport const runtime = 'edge'\n"
                               "export function GET() { return new Response(greet('edge')) }",
    "app/api/w/node/route.ts": "import { greet } from '@/lib/greet'\n"
                               "export function GET() { return new Response(greet('node')) }",
}
ERROR_MARK = "\u2a2f"  # what next's log (next/dist/build/output/log.js) puts before an error
SHA256_BODY = """export async function POST(request: Request) {
  const body = await request.arrayBuffer()
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body))
  const sha256 = Array.from(digest, b => b.toString(16).padStart(2, '0')).join('')
  return Response.json({ size: body.byteLength, sha256 })
}"""
ECHO = """export async function POST(request: Request) {
  return new Response(await request.arrayBuffer(), { headers: { 'content-type': 'application/octet-stream' } })
}"""


def witnessed(app: nbruntime.App) -> nbruntime.App:
    for path, source in WITNESSES.items():
        app.deploy(path, source)
    return app


def assert_nothing_lost(app: nbruntime.App) -> None:
    """The witnesses answer, from the host as it is now, and every deployment is still the same source."""
    assert {p: app.deployments[p].source for p in WITNESSES} == WITNESSES
    assert app.request("GET", "/api/w/edge").text == "still here: edge"
    assert app.request("GET", "/api/w/node").text == "still here: node"


@pytest.fixture
def app() -> Iterator[nbruntime.App]:
    with nbruntime.App(heap_mb=384) as app:  # room for an edge entry's 128 MB, a Node.js bomb fills it soon
        yield witnessed(app)


# -- a handler that runs away, eats memory, or ends the process ----------------------------------------------


@pytest.mark.parametrize("spin", ["while (true) {}", "for (;;) await Promise.resolve()"])
def test_a_stream_that_blocks_the_event_loop_after_its_first_chunk_is_cut_off(app, spin):
    app.deploy("app/api/spin/route.ts", f"""export function GET() {{
  let sent = false
  return new Response(new ReadableStream({{ async pull(c) {{
    if (!sent) {{ sent = true; c.enqueue(new TextEncoder().encode('first')); return }}
    await new Promise(r => setTimeout(r, 50))  // the first chunk leaves before the loop starts
    {spin}
  }} }}))
}}""")
    app.stream_timeout = 1.0
    pid = app.host_pid
    started = time.monotonic()
    r = app.request("GET", "/api/spin")
    assert time.monotonic() - started < 10
    assert (r.status, r.body, r.error.kind) == (200, b"first", "timeout")
    assert "did not finish within 1 s" in r.error.message and "blocked the Node.js event loop" in r.error.message
    assert app.host_pid != pid
    assert_nothing_lost(app)


RUNAWAY_AT_3 = """export function GET(request: Request) {
  const i = new URL(request.url).searchParams.get('i')
  if (i === '3') for (;;) {}
  return new Response(`ok ${i}`)
}"""


def test_a_runaway_edge_handler_in_a_batch_fails_alone(app):
    """request_many waits for one response at a time, but watches every request in flight: the runaway is cancelled
    at its own time limit, which stops its slice, so the first request's cancel is confirmed and the host goes on
    (it was restarted, and all ten failed, when only the awaited request's limit was acted on)."""
    app.deploy("app/api/batch/route.ts", "export const runtime = 'edge'\n" + RUNAWAY_AT_3)
    app.timeout = 1.0
    pid = app.host_pid
    responses = app.request_many([("GET", f"/api/batch?i={i}") for i in range(10)])
    assert (responses[3].status, responses[3].error.name) == (504, "TimeoutError")
    others = [r for i, r in enumerate(responses) if i != 3]
    assert [(r.status, r.text) for r in others] == [(200, f"ok {i}") for i in range(10) if i != 3]
    late = [r.error.message for r in others if r.error]  # answered once the runaway was stopped: past their limit
    assert all(message.startswith("no response within 1 s") for message in late)  # (not the streaming limit)
    assert app.host_pid == pid
    assert_nothing_lost(app)


def test_request_many_keeps_each_requests_own_time_limit(app):
    """A request with a shorter limit than the one request_many waits for is cancelled at its own limit, which stops
    the runaway holding it up (its cancel went only once request_many got to it, after the runaway's own 5 s)."""
    app.deploy("app/api/batch/route.ts", "export const runtime = 'edge'\n" + RUNAWAY_AT_3)
    runaway, quick = app.request_many([{"method": "GET", "url": "/api/batch?i=3", "timeout": 5},
                                       {"method": "GET", "url": "/api/batch?i=1", "timeout": 1}])
    assert quick.error is not None and (quick.error.name, runaway.error.name) == ("TimeoutError", "EdgeCpuLimitError")
    assert quick.error.message.startswith("no response within 1 s")
    assert_nothing_lost(app)


def while_it_runs(app: nbruntime.App, first: str, then: str, timeout: float) -> tuple[nbruntime.Response, ...]:
    """GETs ``first`` with a 20 s limit and, 0.2 s later while it runs, ``then`` with ``timeout``: both responses."""

    async def both() -> tuple[nbruntime.Response, nbruntime.Response]:
        running = asyncio.create_task(app.arequest("GET", first, timeout=20))
        await asyncio.sleep(0.2)
        later = await app.arequest("GET", then, timeout=timeout)
        return await running, later

    return asyncio.run(asyncio.wait_for(both(), 30))


@pytest.mark.parametrize("held", ["edge", "nodejs"])
def test_edge_code_that_holds_up_a_shorter_limited_request_is_stopped_instead_of_the_host(app, held):
    """A request with a shorter time limit, sent while another request's edge handler runs away, cannot have its
    cancel confirmed by the busy thread; the kernel would end the host when the cancel's grace runs out, so the
    runaway slice is stopped just before, and fails alone (it took the host and every request with it). Edge code
    shares the host's one thread with Node.js code, as in next start: a Node.js request it holds up is saved alike."""
    app.deploy("app/api/batch/route.ts", "export const runtime = 'edge'\n" + RUNAWAY_AT_3)
    app.deploy("app/api/quick/route.ts", f"export const runtime = '{held}'\n" + RUNAWAY_AT_3)
    pid = app.host_pid
    runaway, quick = while_it_runs(app, "/api/batch?i=3", "/api/quick?i=1", timeout=1)
    assert (quick.error.name, runaway.status, runaway.error.name) == ("TimeoutError", 500, "EdgeCpuLimitError")
    assert "kept the host busy past another request's time limit" in runaway.error.message
    assert app.host_pid == pid
    assert_nothing_lost(app)


def test_edge_code_that_v8_cannot_interrupt_ends_the_host_which_says_why_and_comes_back(app):
    """Sorting a typed array without a comparator is one native call that V8 does not interrupt (a 95 MB one takes
    seconds): the holder signals the slice when its request is cancelled, and a slice still running 600 ms later holds
    the host for good, so the holder ends it, saying why on stderr before the kernel's own grace would run out; the
    request says so, and the next one finds a new host with every cell."""
    app.deploy("app/api/sort/route.ts", """export const runtime = 'edge'
export function GET() {
  const bytes = new Uint8Array(1e8)
  crypto.getRandomValues(bytes.subarray(0, 65536))
  for (let filled = 65536; filled < bytes.length; filled *= 2) bytes.copyWithin(filled, 0, filled)
  bytes.sort()
  return new Response('sorted')
}""")
    r = app.request("GET", "/api/sort", timeout=0.5)  # the bytes are ready in well under 0.1 s, sorted in seconds
    assert (r.status, r.error.kind) == (502, "crash")
    assert "killed by signal SIGKILL (nbruntime host: a slice of edge code could not be stopped" in r.error.message
    assert app.restarts == 1
    assert_nothing_lost(app)


def test_requests_lost_with_a_host_the_kernel_ended_say_why(app):
    """A Node.js handler that never yields holds the whole host: the kernel ends it once a request's cancel goes
    unconfirmed, and the requests that went down with it say so (they said "the host is still running": the reason
    was read from the host started in its place)."""
    app.deploy("app/api/batch/route.ts", RUNAWAY_AT_3)
    app.timeout = 1.0
    responses = app.request_many([("GET", f"/api/batch?i={i}") for i in range(6)])
    crashed = [r.error.message for r in responses if r.error and r.error.kind == "crash"]
    timed_out = [r.error.message for r in responses if r.error and r.error.kind == "timeout"]
    assert crashed and len(crashed) + len(timed_out) == 6
    assert all(m.startswith("the kernel ended the Node.js host: something blocked its event loop") for m in crashed)
    assert all("something blocked the Node.js event loop" in m for m in timed_out)
    assert_nothing_lost(app)


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_a_memory_bomb_is_reported_as_out_of_memory(app, runtime):
    # A Node.js bomb fills the host's heap, and ends the host; each edge entry has its own limit, well below the
    # host's (tests/test_edge_isolation.py), so an edge bomb fails its request and the host stays.
    app.deploy("app/api/bomb/route.ts",
               "export function GET() { const a = []; for (let i = 0; ; i++) a.push(new Array(1e5).fill(i + 0.5)) }",
               runtime=runtime)
    r = app.request("GET", "/api/bomb")
    if runtime == "edge":
        assert (r.status, r.error.kind, r.error.name) == (500, "exception", "EdgeMemoryLimitError")
        assert "exceeded its 128 MB memory limit" in r.error.message
        assert app.restarts == 0
    else:
        assert (r.status, r.error.kind) == (502, "crash")
        assert "ran out of memory (JavaScript heap out of memory, limit 384 MB)" in r.error.message
        assert app.restarts == 1
    assert_nothing_lost(app)


def test_process_abort_names_the_call_and_its_line(app):
    app.deploy("app/api/abort/route.ts", "export function GET() {\n  process.abort()\n}", runtime="nodejs")
    r = app.request("GET", "/api/abort")
    assert r.error.kind == "crash"
    assert "process.abort() was called" in r.error.message and "app/api/abort/route.ts:2" in r.error.message
    assert_nothing_lost(app)


def test_sigkill_during_an_async_stream_reports_the_crash_and_recovers(app):
    # test_failures.py kills the host under a synchronous stream; this is the async path (AsyncInbox).
    app.deploy("app/api/slow/route.ts", """export function GET() {
  let i = 0
  return new Response(new ReadableStream({ async pull(c) {
    await new Promise(r => setTimeout(r, 20))
    c.enqueue(new TextEncoder().encode(`${i++},`))
  } }))
}""")
    pid = app.host_pid

    async def read_until_killed() -> nbruntime.Response:
        async with app.stream("GET", "/api/slow") as stream:
            async for _ in stream:
                if stream.response.chunk_count == 3:
                    os.kill(pid, signal.SIGKILL)
        return stream.response

    r = asyncio.run(asyncio.wait_for(read_until_killed(), 20))
    assert r.body.startswith(b"0,1,2,") and r.error.kind == "crash" and "SIGKILL" in r.error.message
    assert app.host_pid not in (None, pid)
    assert_nothing_lost(app)


# -- errors that must not take anything down -----------------------------------------------------------------


def server_log(app: nbruntime.App, count: int) -> list[tuple[str, str]]:
    """The app's first ``count`` lines printed outside requests, waited for (timers print them a little later)."""
    deadline = time.monotonic() + 10
    while len(app.server_log) < count:
        assert time.monotonic() < deadline, list(app.server_log)
        time.sleep(0.01)
    return [(line.level, line.text) for line in list(app.server_log)[:count]]


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_what_a_cell_prints_outside_requests_is_kept_and_an_error_nothing_caught_names_its_cell_line(app, runtime):
    # next start prints these on its terminal: a module's top level as it loads, its timers, and an error nothing
    # caught, logged after next's error mark as "uncaughtException: " and the error, the server going on
    # (next/dist/server/lib/router-server.js, logError).
    app.deploy("app/api/loud/route.ts", """console.log('module loaded')
setTimeout(() => console.log('timer fired'), 20)
setTimeout(() => {
  throw new TypeError('nobody catches me')
}, 40)
export function GET() { return new Response('still answering') }""", runtime=runtime)
    assert [line.text for line in app.server_log][:1] == ["module loaded"]  # there when the deploy returns
    (first, second, (level, text)) = server_log(app, 3)
    assert (first, second, level) == (("log", "module loaded"), ("log", "timer fired"), "error")
    assert text.startswith(f" {ERROR_MARK} uncaughtException:  ") and "TypeError: nobody catches me" in text
    assert re.search(r"at .*\(app/api/loud/route\.ts:4:\d+\)", text)  # the cell's line, and none of the host's
    assert not re.search(r"nbruntime/js|node:|evalmachine", text)
    assert app.request("GET", "/api/loud").text == "still answering" and app.restarts == 0
    assert_nothing_lost(app)


def test_an_edge_timer_that_runs_away_is_stopped_and_says_it_belonged_to_no_request():
    """Code of no request may run as long as the app's time limit (and a cancel's grace) at once; then it is
    stopped, its realm made afresh, and the server log says what ran (it said a request's CPU time was used up)."""
    with nbruntime.App(timeout=0.5) as app:
        witnessed(app).deploy("app/api/timer/route.ts", "setTimeout(() => { for (;;) {} }, 10)\n"
                              "export function GET() { return new Response('answering') }", runtime="edge")
        [(level, text)] = server_log(app, 1)
        assert level == "error" and "EdgeCpuLimitError" in text
        assert "app/api/timer/route.ts ran code of no request (a timer set at its top level, say)" in text
        assert app.request("GET", "/api/timer").text == "answering"
        assert_nothing_lost(app)


def test_a_server_log_listener_that_fails_loses_no_line_and_stops_no_reader(app):
    class Broken:
        def heard(self, line):
            raise OSError("the stream it writes to is closed")

    broken = Broken()
    app.server_log.listen(broken.heard)
    app.deploy("app/api/chatty/route.ts", "console.log('loaded')\nexport const GET = () => new Response('ok')",
               runtime="edge")  # the line reaches the listener inside the deploy, which reads the host's pipe
    assert [app.request("GET", "/api/chatty").text for _ in range(3)] == ["ok"] * 3
    assert server_log(app, 1) == [("log", "loaded")]
    assert_nothing_lost(app)


def test_what_a_request_leaves_behind_prints_to_the_server_log_after_it_ended(app):
    # A Node.js request's timer outlives it (edge platforms end an edge request's timers with it: test_edge_limits)
    app.deploy("app/api/later/route.ts", "export function GET() {\n  setTimeout(() => console.error('after the "
                                         "response'), 20)\n  return new Response('ok')\n}", runtime="nodejs")
    r = app.request("GET", "/api/later")
    assert (r.text, r.logs) == ("ok", [])
    assert server_log(app, 1) == [("error", "after the response")]


def test_what_node_code_writes_to_stdout_and_stderr_is_its_requests_or_else_the_servers(app):
    # Under next start these are the server process's own stdout and stderr: a logger writes there (pino's
    # destination writes to file descriptor 1 itself, winston's console transport to process.stdout)
    app.deploy("app/api/stdio/route.ts", """import fs from 'node:fs'
export function GET() {
  process.stdout.write('to stdout\\n')
  process.stderr.write(Buffer.from('to stderr\\n'))
  fs.writeSync(1, 'to file descriptor 1\\n')
  return new Response('ok')
}""", runtime="nodejs")
    r = app.request("GET", "/api/stdio")
    assert r.text == "ok"
    assert [(line.level, line.text) for line in r.logs] == [("log", "to stdout"), ("error", "to stderr")]
    assert server_log(app, 1) == [("log", "to file descriptor 1")]
    assert_nothing_lost(app)


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_an_unhandled_rejection_is_logged_to_its_request_and_the_host_stays(app, runtime):
    app.deploy("app/api/reject/route.ts", """export async function GET() {
  Promise.reject(new Error('nobody catches me'))
  await new Promise(r => setTimeout(r, 5))
  return new Response('answered anyway')
}""", runtime=runtime)
    pid = app.host_pid
    r = app.request("GET", "/api/reject")
    assert (r.status, r.text, r.error) == (200, "answered anyway", None)
    # next start's router server logs it so, and goes on (next/dist/server/lib/router-server.js, logError)
    assert any(f" {ERROR_MARK} unhandledRejection:  Error: nobody catches me" in line.text for line in r.logs)
    assert app.host_pid == pid
    assert_nothing_lost(app)


def test_a_rejection_left_behind_by_a_handler_that_returns_at_once_is_in_its_logs(app):
    # The host lets one event-loop turn pass before it ends a request, so the rejection is reported in time.
    app.deploy("app/api/quick/route.ts", "export function GET() {\n  Promise.reject(new Error('left behind'))\n"
                                         "  return new Response('ok')\n}", runtime="nodejs")
    r = app.request("GET", "/api/quick")
    assert any(f" {ERROR_MARK} unhandledRejection:  Error: left behind" in line.text for line in r.logs)


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_an_exception_in_a_streams_pull_ends_the_body_with_the_error(app, runtime):
    app.deploy("app/api/pull/route.ts", """export function GET() {
  let n = 0
  return new Response(new ReadableStream({ pull(c) {
    if (n === 2) throw new RangeError('pull broke')
    c.enqueue(new TextEncoder().encode(`${n++},`))
  } }))
}""", runtime=runtime)
    pid = app.host_pid
    r = app.request("GET", "/api/pull")
    assert (r.status, r.body) == (200, b"0,1,")
    assert (r.error.kind, r.error.name, r.error.message) == ("exception", "RangeError", "pull broke")
    assert (r.error.file, r.error.line) == ("app/api/pull/route.ts", 4)
    assert app.host_pid == pid
    assert_nothing_lost(app)


# -- load and size -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["arequest", "request_many"])
def test_a_thousand_concurrent_requests_across_ten_deployments_are_all_answered_correctly(app, way):
    for d in range(10):
        app.deploy(f"app/api/d{d}/[n]/route.ts", f"""export const runtime = '{"edge" if d % 2 else "nodejs"}'
export async function GET(request: Request, {{ params }}: {{ params: Promise<{{ n: string }}> }}) {{
  const {{ n }} = await params
  await new Promise(r => setTimeout(r, Number(n) % 7))
  return Response.json({{ d: {d}, n, q: new URL(request.url).searchParams.get('q') }})
}}""")

    requests = [("GET", f"/api/d{i % 10}/{i}?q={i * 7}") for i in range(1000)]

    async def everyone() -> list[nbruntime.Response]:
        return await asyncio.gather(*(app.arequest(*request) for request in requests))

    responses = asyncio.run(asyncio.wait_for(everyone(), 60)) if way == "arequest" else app.request_many(requests)
    assert [r.json() for r in responses] == [{"d": i % 10, "n": str(i), "q": str(i * 7)} for i in range(1000)]
    assert_nothing_lost(app)


def test_a_100_mb_request_body_arrives_whole(app):
    app.deploy("app/api/sha/route.ts", SHA256_BODY)
    body = os.urandom(100 * 2**20)
    r = app.request("POST", "/api/sha", body=body, timeout=60)
    assert r.json() == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    assert_nothing_lost(app)


@pytest.mark.parametrize("keep_body", [True, False])
def test_a_100_mb_response_body_arrives_whole(app, keep_body):
    app.deploy("app/api/big/route.ts", """export function GET() {
  let n = 0
  return new Response(new ReadableStream({ pull(c) {
    if (n === 100) return c.close()
    c.enqueue(new Uint8Array(1 << 20).fill(n++))
  } }))
}""")
    digest = hashlib.sha256()
    with app.stream("GET", "/api/big", timeout=60, keep_body=keep_body) as stream:
        for chunk in stream:
            digest.update(chunk.data)
    r = stream.response
    expected = hashlib.sha256(b"".join(bytes([n]) * 2**20 for n in range(100))).hexdigest()
    assert (r.body_size, r.chunk_count, digest.hexdigest()) == (100 * 2**20, 100, expected)
    assert len(r.body) == (100 * 2**20 if keep_body else 0)
    assert_nothing_lost(app)


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_binary_bodies_keep_every_byte_value(app, runtime):
    app.deploy("app/api/echo/route.ts", ECHO, runtime=runtime)
    app.deploy("app/api/bytes/route.ts",
               "export function GET() { return new Response(Uint8Array.from({ length: 256 }, (_, i) => i)) }",
               runtime=runtime)
    every = bytes(range(256))
    assert app.request("POST", "/api/echo", body=every * 64 + every[::-1]).body == every * 64 + every[::-1]
    assert app.request("GET", "/api/bytes").body == every
    assert_nothing_lost(app)


# -- malformed input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("arguments", "field"), [
    ({"method": "BR EW"}, "method"),  # any method token is sent (and Next answers it): this is none
    ({"method": ""}, "method"),
    ({"url": "api/x"}, "url"),
    ({"url": "/a b"}, "url"),
    ({"url": "ftp://example.com/x"}, "url"),
    ({"url": "http:///x"}, "url"),
    ({"url": "/x\n"}, "url"),
    ({"url": ""}, "url"),
    ({"headers": {"bad name": "v"}}, "headers"),
    ({"headers": {"": "v"}}, "headers"),
    ({"headers": {"x-\u00e9": "v"}}, "headers"),
    ({"headers": {"x-a": "a\r\nx-b: injected"}}, "headers"),
    ({"headers": {"x-a": "nul\0"}}, "headers"),
    ({"headers": {"x-a": "snow \u2603"}}, "headers"),
    ({"method": "GET", "body": b"a GET has no body"}, "body"),
    ({"method": "POST", "body": 42}, "body"),
    ({"method": "POST", "body": "x", "json": {"a": 1}}, "body"),
])
def test_bad_request_input_is_refused_naming_the_field_before_anything_is_sent(arguments, field):
    with nbruntime.App() as app:
        call = {"method": "POST", "url": "/api/x", **arguments}
        with pytest.raises(nbruntime.RequestError) as caught:
            app.request(**call)
        assert isinstance(caught.value, ValueError) and caught.value.field == field
        assert str(caught.value).startswith(f"{field}: ")
        assert app.host_pid is None  # refused before a host was even needed


def test_a_batch_with_one_bad_request_sends_none_of_them():
    with nbruntime.App() as app:
        with pytest.raises(nbruntime.RequestError) as caught:
            app.request_many([("GET", "/ok"), {"method": "GET", "url": "/x", "headers": {"x": "\n"}}])
        assert caught.value.field == "headers" and app.host_pid is None


@pytest.mark.parametrize(("source", "line", "column"), [
    (b"export const a = 1\nconst b = '\xff'\n", 2, 12),
    ("export function GET() { return new Response('\udcff') }", 1, 46),
])
def test_source_that_is_not_utf8_is_a_build_error_at_its_place(app, source, line, column):
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy("app/api/w/node/route.ts", source)
    problem = caught.value.problems[0]
    assert (problem.name, problem.line, problem.column) == ("InvalidSource", line, column)
    assert "not valid UTF-8" in problem.message
    assert_nothing_lost(app)


def test_utf8_bytes_deploy_like_text(app):
    app.deploy("app/api/bytes/route.ts", "export function GET() { return new Response('caf\u00e9 \u2603') }".encode())
    assert app.request("GET", "/api/bytes").text == "caf\u00e9 \u2603"


def test_an_empty_cell_deploys_and_answers_405(app):
    deployment = app.deploy("app/api/empty/route.ts", "")
    assert deployment.exports == []
    assert app.request("GET", "/api/empty").status == 405
    assert_nothing_lost(app)


def test_a_1_mb_cell_deploys_and_answers(app):
    source = "// padding\n" * 96_000 + "export function GET() { return new Response('big cell') }\n"
    assert len(source) > 2**20
    app.deploy("app/api/huge/route.ts", source)
    assert app.request("GET", "/api/huge").text == "big cell"
    assert_nothing_lost(app)


def test_a_matcher_with_a_catastrophic_regex_is_bounded_by_the_time_limit(app):
    app.deploy("middleware.ts", """export function middleware() {}
export const config = { matcher: [{ source: '/api/:path*', has: [{ type: 'header', key: 'x-a', value: '(a+)+b' }] }] }
""")
    started = time.monotonic()
    r = app.request("GET", "/api/w/edge", headers={"x-a": "a" * 40 + "c"}, timeout=1)
    assert time.monotonic() - started < 10
    assert (r.status, r.error.kind) == (504, "timeout")
    assert "blocked the Node.js event loop" in r.error.message
    assert "middleware.ts" in app.deployments
    assert_nothing_lost(app)


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_cells_importing_each_other_in_a_cycle_link_as_es_modules_do(app, runtime):
    app.deploy("lib/ping.ts", "import { pong } from './pong'\nexport const ping = (n: number): string => "
                              "n ? 'ping ' + pong(n - 1) : 'done'")
    app.deploy("lib/pong.ts", "import { ping } from './ping'\nexport const pong = (n: number): string => "
                              "n ? 'pong ' + ping(n - 1) : 'done'")
    app.deploy("app/api/cycle/route.ts", "import { ping } from '@/lib/ping'\n"
                                         "export function GET() { return new Response(ping(3)) }", runtime=runtime)
    assert app.request("GET", "/api/cycle").text == "ping pong ping done"
    assert_nothing_lost(app)


# -- properties ----------------------------------------------------------------------------------------------

ECHO_ALL = """async function echo(request: Request) {
  const url = new URL(request.url)
  const body = request.method === 'GET' ? [] : [...new Uint8Array(await request.arrayBuffer())]
  return Response.json({ method: request.method, path: url.pathname + url.search, headers: [...request.headers], body })
}
export { echo as GET, echo as POST, echo as PUT, echo as PATCH, echo as DELETE, echo as OPTIONS }
"""
UNRESERVED = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~", min_size=1, max_size=12)
SEGMENT = UNRESERVED.filter(lambda s: s not in (".", ".."))  # URL parsing removes dot segments
TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~", min_size=1, max_size=10)
LATIN1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=20)


@pytest.fixture(scope="module")
def echo_app() -> Iterator[nbruntime.App]:
    with nbruntime.App() as app:
        app.deploy("app/echo/[[...rest]]/route.ts", ECHO_ALL, runtime="edge")
        yield app


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
       segments=st.lists(SEGMENT, max_size=4), query=st.dictionaries(UNRESERVED, UNRESERVED, max_size=3),
       headers=st.dictionaries(TOKEN.map(lambda t: f"x-{t}"), LATIN1, max_size=5), body=st.binary(max_size=300))
def test_any_valid_request_arrives_as_sent(echo_app, method, segments, query, headers, body):
    path = "/echo" + "".join(f"/{s}" for s in segments)
    path += "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    r = echo_app.request(method, path, headers=headers, body=None if method == "GET" else body)
    echoed = r.json()
    # Next writes a query back as URLSearchParams do, which encode `~` (recorded: conformance/query-shapes)
    where, _, query_sent = path.partition("?")
    expected = f"{where}?{query_sent.replace('~', '%7E')}" if query_sent else where
    assert (echoed["method"], echoed["path"]) == (method, expected)
    received = dict(echoed["headers"])
    assert {name: received.get(name) for name in headers} == {n: v.strip(" \t") for n, v in headers.items()}
    assert bytes(echoed["body"]) == (b"" if method == "GET" else body)


@settings(max_examples=300, deadline=None)
@given(method=st.text(max_size=8), url=st.text(max_size=30),
       headers=st.lists(st.tuples(st.text(max_size=8), st.text(max_size=12)), max_size=3),
       body=st.one_of(st.none(), st.binary(max_size=8), st.text(max_size=8), st.integers()))
def test_any_request_input_is_either_built_or_refused_naming_a_field(method, url, headers, body):
    try:
        request = Request.build(method, url, "http://localhost:3000", headers, body)
    except nbruntime.RequestError as error:
        assert error.field in ("method", "url", "headers", "body")
        return
    assert re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Z]+", request.method)  # an HTTP token: Next answers any
    assert request.url.startswith("http://localhost:3000/")
    assert all(max(v, default="\0") <= "\xff" and not set(v) & set("\r\n\0") for _, v in request.headers)


SAFE_INTEGERS = st.integers(-(2**53), 2**53)  # what a JavaScript number holds exactly
MESSAGES = st.dictionaries(st.text(max_size=6), st.one_of(st.text(max_size=20), SAFE_INTEGERS, st.booleans(),
                                                          st.lists(SAFE_INTEGERS, max_size=3)), max_size=4)
KEY = bytes(range(32))
FRAMES = st.lists(st.tuples(MESSAGES, st.binary(max_size=200)), min_size=1, max_size=6)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(frames=FRAMES, cuts=st.lists(st.integers(min_value=0), max_size=12), per_record=st.integers(1, 3))
def test_python_decodes_frames_however_the_bytes_are_split(frames, cuts, per_record):
    decoder = FrameDecoder(KEY)
    records = [frames[i : i + per_record] for i in range(0, len(frames), per_record)]
    signed = b"".join(sign_record(KEY, n, record) for n, record in enumerate(records))
    read = bytearray(len(signed))  # as a lane reads: each piece into the same buffer, overwritten by the next
    decoded = []
    for piece in split(signed, cuts):
        read[: len(piece)] = piece
        decoded += decoder.feed(memoryview(read)[: len(piece)])
        read[:] = bytes(len(read))
    assert decoded == frames


# wire.mjs's frameReader in a Node.js process: pieces of a byte stream in, the frames it decoded out.
FRAME_READER = """
import { frameReader } from %s;
import readline from 'node:readline';
for await (const line of readline.createInterface({ input: process.stdin })) {
  const frames = [];
  const feed = frameReader((message, payload) => frames.push([message, payload.toString('base64')]));
  for (const piece of JSON.parse(line)) feed(Buffer.from(piece, 'base64'));
  console.log(JSON.stringify(frames));
}
"""


class NodeFrames(HostModule):
    def __init__(self) -> None:
        super().__init__("wire.mjs", FRAME_READER)

    def decode(self, pieces: list[bytes]) -> list[tuple[dict, bytes]]:
        return [(m, base64.b64decode(p)) for m, p in self.ask([base64.b64encode(p).decode() for p in pieces])]


@pytest.fixture(scope="module")
def node_frames() -> Iterator[NodeFrames]:
    decoder = NodeFrames()
    yield decoder
    decoder.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frames=FRAMES, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_node_decodes_frames_however_the_bytes_are_split(node_frames, frames, cuts):
    assert node_frames.decode(split(b"".join(encode_frame(m, p) for m, p in frames), cuts)) == frames


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.sampled_from([2**20 - 9, 2**20, 2**20 + 1, 3 * 2**20 + 7]), piece=st.integers(1, 2**18))
def test_node_decodes_large_frames_gathered_from_many_pieces(node_frames, size, piece):
    payload = struct.pack("<I", size) * (size // 4) + b"\x01" * (size % 4)
    data = encode_frame({"op": "big"}, payload) + encode_frame({"op": "after"}, b"\x02")
    pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
    assert node_frames.decode(pieces) == [({"op": "big"}, payload), ({"op": "after"}, b"\x02")]
