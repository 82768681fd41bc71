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


# -- deploy paths --------------------------------------------------------------------------------------------

OK_ROUTE = "export function GET() { return new Response('still here') }"

BAD_PATHS = {
    "a NUL": ("app/a\x00b/route.ts", "InvalidPath", "app/a\\x00b/route.ts", "cannot hold U+0000 (a control character)"),
    "a line break": ("app/a\nb/route.ts", "InvalidPath", "app/a\\nb/route.ts", "U+000A"),
    "an escape sequence": ("app/\x1b[31m/route.ts", "InvalidPath", "app/\\x1b[31m/route.ts", "U+001B"),
    "DEL": ("lib/a\x7f.ts", "InvalidPath", "lib/a\\x7f.ts", "U+007F"),
    "a C1 control": ("data/a\x85.txt", "InvalidPath", "data/a\\x85.txt", "U+0085"),
    "a lone surrogate": ("app/\udcff/route.ts", "InvalidPath", "app/\\udcff/route.ts", "a lone surrogate"),
    "a name longer than the file system takes": (
        "app/" + "x" * 300 + "/route.ts", "InvalidPath", None, "is 300 bytes long; the file system takes names of"),
    "a name of 2-byte characters past it": (
        "app/" + "é" * 128 + "/route.ts", "InvalidPath", None, "is 256 bytes long"),
    "a path longer than the file system takes": (
        "app/" + "/".join(["y" * 200] * 25) + "/route.ts", "InvalidPath", None, "its path in the project folder is"),
}


def _everything(app: nbruntime.App) -> tuple:
    """What a deploy may change: Python's cells, the project folder (names and contents), the host."""
    files = sorted((str(f.relative_to(app.project_dir)), f.read_bytes() if f.is_file() else None)
                   for f in app.project_dir.rglob("*"))
    cells = sorted((d.path, d.source) for d in app.deployments.values())
    return cells, files, app.host_pid, [r.file for r in app.routes]


def _refused(app: nbruntime.App, path: str, source: str) -> nbruntime.BuildError:
    """Deploys what must be refused; checks that nothing changed anywhere, and that the app still answers."""
    before = _everything(app)
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy(path, source)
    assert _everything(app) == before
    assert app.request("GET", "/api/ok").text == "still here"
    return caught.value


@pytest.mark.parametrize("case", list(BAD_PATHS.values()), ids=list(BAD_PATHS))
def test_a_path_no_file_system_keeps_is_a_build_error_naming_it_and_nothing_is_deployed(case):
    path, name, shown, words = case
    with nbruntime.App() as app:
        app.deploy("app/api/ok/route.ts", OK_ROUTE)
        (problem,) = _refused(app, path, OK_ROUTE).problems
        assert (problem.name, problem.file) == (name, shown or path)
        assert words in problem.message
        assert not any(ord(c) < 32 or 0xD800 <= ord(c) < 0xE000 for c in str(problem))  # shown, not emitted


CLASHES = {
    "a route under a deployed file": ([("app/x", "data")], "app/x/route.ts", OK_ROUTE,
                                      "it needs a folder app/x, but app/x is a deployed file"),
    "a data file where a route's folder is": ([("app/z/route.ts", OK_ROUTE)], "app/z", "data",
                                              "it would be a file where the folder holding app/z/route.ts is"),
    "a data file where a data folder is": ([("data/f/g.txt", "g")], "data/f", "data",
                                           "it would be a file where the folder holding data/f/g.txt is"),
    "a module under a deployed module": ([("lib/a.ts", "export {}")], "lib/a.ts/b.ts", "export {}",
                                         "it needs a folder lib/a.ts, but lib/a.ts is a deployed file"),
}


@pytest.mark.parametrize("case", list(CLASHES.values()), ids=list(CLASHES))
def test_a_file_where_a_folder_is_or_the_reverse_is_a_build_error_and_nothing_is_deployed(case):
    deployed, path, source, message = case
    with nbruntime.App() as app:
        app.deploy("app/api/ok/route.ts", OK_ROUTE)
        for other, content in deployed:
            app.deploy(other, content)
        (problem,) = _refused(app, path, source).problems
        assert (problem.file, problem.name, problem.message) == (path, "PathConflict", message)


def test_files_of_the_project_folder_that_clash_are_build_errors_and_are_left_alone(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "x").write_text("the user's file")
    (tmp_path / "data" / "f").mkdir(parents=True)
    with nbruntime.App(project_dir=tmp_path) as app:
        app.deploy("app/api/ok/route.ts", OK_ROUTE)
        (problem,) = _refused(app, "app/x/y/route.ts", OK_ROUTE).problems
        assert (problem.name, problem.message) == ("PathConflict", "it needs a folder app/x, but app/x is a file")
        (problem,) = _refused(app, "data/f", "data").problems
        assert (problem.name, problem.message) == ("PathConflict", "a folder of that name is in the project folder")
        assert (tmp_path / "app" / "x").read_text() == "the user's file"


def test_undeploying_removes_the_folders_it_empties_so_a_file_can_take_their_place():
    with nbruntime.App() as app:
        app.deploy("app/x/deep/route.ts", OK_ROUTE)
        app.undeploy("app/x/deep/route.ts")
        assert not (app.project_dir / "app").exists()
        app.deploy("app/x", "now a data file")
        assert (app.project_dir / "app" / "x").read_text() == "now a data file"


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
    """Nothing keeps running it after: an edge cell's new version is dropped from its realm, its top level
    stopped, and the host goes on (a restart would lose every Node.js cell's state); a Node.js cell's top level
    goes with the host that ran it."""
    with nbruntime.App(timeout=2) as app:
        app.deploy("app/api/ok/route.ts", "export function GET() { return new Response('still here') }")
        app.deploy("app/api/edge/route.ts", "let n = 0\nexport function GET() { return new Response(`edge ${++n}`) }",
                   runtime="edge")
        assert app.request("GET", "/api/edge").text == "edge 1"
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
        if runtime == "edge":  # the host is free, and its entries' state is as it was
            assert (app.request("GET", "/api/edge").text, app.host_pid) == ("edge 2", pid)
        else:
            assert not _alive(pid)  # the process that ran it is gone


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
