"""Hostile input: whatever a handler throws, a caller passes or a deploy names, the answer is prompt and clear.

Each test here failed before the guard it checks existed (a megabyte error message took the Python side
quadratic time, outside any timeout; a malformed ``headers=`` raised a bare ValueError; ...).
"""

from __future__ import annotations

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
