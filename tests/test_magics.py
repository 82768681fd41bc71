"""The magics in a real IPython shell: deploy cells, send curl-style requests, manage the app."""

import pytest
from examples import TICKS

import nbruntime
from nbruntime import app as app_module


@pytest.fixture(scope="module")
def ip(ipython):
    yield ipython
    nbruntime.get_app().close()
    app_module._shared_app = None



def test_edge_cell_then_request_streams_ticks(ip, run_cell):
    out = run_cell("%%edge app/api/stream/route.ts\n" + TICKS)
    assert "Deployed app/api/stream/route.ts (edge) · route /api/stream · GET" in out
    out = run_cell("%request GET /api/stream")
    assert "200 GET http://localhost:3000/api/stream" in out
    assert "content-type: text/plain" in out
    lines = [line for line in out.splitlines() if "] tick" in line]
    assert [line.split("] ")[1] for line in lines[-3:]] == ["tick 1", "tick 2", "tick 3"]


def test_request_sends_headers_cookies_and_json(ip, run_cell):
    run_cell("""%%node app/api/echo/route.ts
export async function POST(request: Request) {
  const cookie = request.headers.get('cookie')
  return Response.json({ body: await request.json(), x: request.headers.get('x-a'), cookie })
}""")
    out = run_cell("""%request POST /api/echo -H 'X-A: 1' -b 'session=alice' --json '{"n": 2}'""")
    assert '{"body":{"n":2},"x":"1","cookie":"session=alice"}' in out


def test_syntax_error_is_shown_with_its_line_and_nothing_is_deployed(ip, run_cell):
    out = run_cell("%%edge app/api/bad/route.ts\nexport function GET() {\n  return new Response('x'\n}")
    assert "Not deployed" in out and "app/api/bad/route.ts:3:1: SyntaxError" in out
    assert "app/api/bad/route.ts" not in nbruntime.get_app().deployments


def test_handler_error_and_bad_input_are_shown_in_the_cell(ip, run_cell):
    run_cell("%%node app/api/throw/route.ts\nexport function GET() {\n  throw new Error('nope')\n}")
    out = run_cell("%request GET /api/throw")
    assert "500 GET" in out and "Error: nope at app/api/throw/route.ts:2:9" in out
    assert "url: 'not a path' is not a URL path" in run_cell("%request GET 'not a path'")
    assert "url: 'relative' must start with '/'" in run_cell("%request GET relative")
    assert "is not a valid header name" in run_cell("%request GET /x -H 'bad name: 1'")


def test_nbruntime_status_routes_restart_reset(ip, run_cell):
    assert "app/api/stream/route.ts" in run_cell("%nbruntime routes")
    pid = nbruntime.get_app().host_pid
    assert f"pid {pid}" in run_cell("%nbruntime status")
    run_cell("%nbruntime restart")
    assert nbruntime.get_app().host_pid not in (None, pid)
    assert "200 GET" in run_cell("%request GET /api/stream")
    run_cell("%nbruntime reset")
    assert nbruntime.get_app().deployments == {}


def test_every_thread_gets_the_same_shared_app(monkeypatch):
    # %load_ext warms the host from a thread while the first cell may already ask for the app; a slow
    # App() makes the race certain to show if get_app() were not guarded.
    import threading
    import time

    class SlowApp(nbruntime.App):
        def __init__(self):
            time.sleep(0.05)
            super().__init__()

    monkeypatch.setattr(app_module, "App", SlowApp)
    app_module._shared_app = None
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(nbruntime.get_app())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(app) for app in seen}) == 1
    nbruntime.get_app().close()
    app_module._shared_app = None
