"""Hostile input: whatever a handler throws, a caller passes or a deploy names, the answer is prompt and clear.

Each test here failed before the guard it checks existed (a megabyte error message took the Python side
quadratic time, outside any timeout; a malformed ``headers=`` raised a bare ValueError; ...).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

import nbruntime
from nbruntime.http import Headers


@pytest.fixture(scope="module")
def app() -> Iterator[nbruntime.App]:
    with nbruntime.App() as app:
        yield app


# -- bounded work on the Python side -------------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_a_megabyte_error_message_returns_promptly_with_the_error_clipped(app, runtime):
    app.deploy("app/api/huge/route.ts", "export function GET() {\n  throw new Error('x'.repeat(1 << 20))\n}",
               runtime=runtime)
    started = time.monotonic()
    r = app.request("GET", "/api/huge", timeout=10)
    assert time.monotonic() - started < 5
    assert (r.status, r.error.name) == (500, "Error")
    assert r.error.message.startswith("x" * 1000) and r.error.message.endswith("more characters)")
    assert len(r.error.message) < 70_000 and len(r.error.stack) < 70_000
    assert (r.error.file, r.error.line) == ("app/api/huge/route.ts", 2)


def test_a_stack_of_long_frame_lines_is_mapped_in_linear_time(app):
    # A name made of a megabyte of path-like characters: every start position once looked like a frame.
    app.deploy("app/api/frames/route.ts", """export function GET() {
  const error = new Error('deep')
  const long = '    at ' + 'a/'.repeat(1 << 19) + '\\n'
  error.stack = 'Error: deep\\n' + long + long + '    at app/api/frames/route.ts:2:17'
  throw error
}""", runtime="nodejs")
    started = time.monotonic()
    r = app.request("GET", "/api/frames", timeout=10)
    assert time.monotonic() - started < 5
    assert (r.error.file, r.error.line, r.error.column) == ("app/api/frames/route.ts", 2, 17)


def test_a_response_with_many_headers_is_read_in_linear_time(app):
    app.deploy("app/api/many/route.ts", """export function GET() {
  const headers = new Headers()
  for (let i = 0; i < 20000; i++) headers.append(`x-h${i}`, String(i))
  return new Response('many', { headers })
}""", runtime="nodejs")
    started = time.monotonic()
    r = app.request("GET", "/api/many", timeout=10)
    assert r.headers["x-h19999"] == "19999" and len(r.headers.items()) >= 20000
    assert time.monotonic() - started < 5


def test_headers_lookups_do_not_scan_every_header():
    headers = Headers([(f"x-{i}", str(i)) for i in range(200_000)])
    started = time.monotonic()
    assert [headers[f"X-{i}"] for i in range(0, 200_000, 1000)][-1] == "199000"
    assert len(headers.items()) == 200_000
    assert time.monotonic() - started < 2


# -- malformed request arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    "x-a: 1",
    b"x-a: 1",
    42,
    [("x-a",)],
    [("x-a", "1", "2")],
    ["ab"],
    [None],
    {"x-a": None},
    {"x-a": 1},
    {1: "a"},
    [("x-a", b"bytes")],
])
def test_malformed_headers_raise_a_request_error_naming_the_field(headers):
    with nbruntime.App() as app:
        with pytest.raises(nbruntime.RequestError) as caught:
            app.request("GET", "/x", headers=headers)
        assert caught.value.field == "headers"
        assert app.host_pid is None


# -- odd throwables ------------------------------------------------------------------------------------------

ODD_THROWABLES = {
    "null": "null",
    "undefined": "undefined",
    "a Proxy whose traps throw": "new Proxy({}, { has() { throw 1 }, get() { throw 2 }, getPrototypeOf() { throw 3 }, "
                                 "ownKeys() { throw 4 }, getOwnPropertyDescriptor() { throw 5 } })",
    "throwing getters": "{ get message() { throw new Error('no message') }, get name() { throw 1 }, "
                        "get stack() { throw 2 } }",
    "a throwing toString": "{ toString() { throw new Error('no text') } }",
    "a symbol": "Symbol('odd')",
}


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
@pytest.mark.parametrize("thrown", list(ODD_THROWABLES.values()), ids=list(ODD_THROWABLES))
def test_odd_throwables_give_next_500_at_once_with_the_error_recorded(app, runtime, thrown):
    app.deploy("app/api/odd/route.ts", f"export function GET() {{\n  throw {thrown}\n}}", runtime=runtime)
    started = time.monotonic()
    r = app.request("GET", "/api/odd", timeout=10)
    assert time.monotonic() - started < 3
    assert r.status == 500 and r.error is not None and r.error.kind == "exception"
    if runtime == "edge":
        assert "Internal Server Error" in r.text  # the page Next sends for an edge route's error
    assert app.request("GET", "/api/odd?again", timeout=10).status == 500  # and again: nothing was left broken


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_an_odd_throwable_at_deploy_is_a_build_error(app, runtime):
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy("app/api/odd-deploy/route.ts", "throw null\nexport function GET() {}", runtime=runtime)
    assert caught.value.problems[0].file == "app/api/odd-deploy/route.ts"


# -- deploys that never finish -------------------------------------------------------------------------------

NEVER_FINISHING = {
    "a top-level loop": "while (true) {}",
    "a promise that never settles": "await new Promise(() => {})",
    "an import of itself": "await import('@/app/api/stuck/route')",
}


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
@pytest.mark.parametrize("top", list(NEVER_FINISHING.values()), ids=list(NEVER_FINISHING))
def test_a_cell_whose_top_level_never_finishes_fails_the_deploy_within_the_timeout(runtime, top):
    with nbruntime.App(timeout=2) as app:
        app.deploy("app/api/ok/route.ts", "export function GET() { return new Response('still here') }")
        pid = app.host_pid
        started = time.monotonic()
        with pytest.raises(nbruntime.BuildError) as caught:
            app.deploy("app/api/stuck/route.ts", f"{top}\nexport function GET() {{ return new Response('') }}",
                       runtime=runtime)
        assert time.monotonic() - started < 8
        problem = caught.value.problems[0]
        assert (problem.file, problem.name) == ("app/api/stuck/route.ts", "TimeoutError")
        assert "did not finish within 2 s" in problem.message
        assert "app/api/stuck/route.ts" not in app.deployments
        assert app.request("GET", "/api/ok").text == "still here"
        assert app.request("GET", "/api/stuck").status == 404
        assert not _alive(pid)  # nothing keeps spinning: the process that ran it is gone


def _alive(pid: int) -> bool:
    """Whether our child ``pid`` still runs (asked without reaping it)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
    except ChildProcessError:
        return False


# -- the host's life -----------------------------------------------------------------------------------------


def test_a_request_right_after_the_host_died_is_served_by_the_restarted_host():
    with nbruntime.App() as app:
        app.deploy("app/api/ok/route.ts", "export function GET() { return new Response('still here') }")
        pid = app.host_pid
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.001)
        r = app.request("GET", "/api/ok")
        assert (r.status, r.text, r.error) == (200, "still here", None), str(r.error)
        assert app.host_pid != pid


def test_a_closed_app_says_it_is_closed():
    app = nbruntime.App()
    app.deploy("app/api/ok/route.ts", "export function GET() { return new Response('ok') }")
    app.close()
    for attempt in (lambda: app.request("GET", "/api/ok"), lambda: app.deploy("app/api/x/route.ts", ""),
                    app.warm, app.restart):
        with pytest.raises(nbruntime.HostError, match="this App is closed"):
            attempt()
    assert app.host_pid is None
