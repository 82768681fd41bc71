"""The magics in a real IPython shell: deploy cells, send curl-style requests, manage the app."""

import re

import pytest
from examples import TICKS
from IPython.utils.capture import capture_output

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


def run_failing(ip, cell: str) -> tuple[BaseException, str]:
    """Runs a cell that must fail; returns its exception and everything the cell showed (ANSI colours removed)."""
    with capture_output() as captured:
        result = ip.run_cell(cell)
    assert result.error_in_exec is not None, "the cell did not fail"
    shown = captured.stdout + captured.stderr + "".join(o.data.get("text/plain", "") for o in captured.outputs)
    return result.error_in_exec, re.sub(r"\x1b\[[0-9;]*m", "", shown)


def test_a_failed_deploy_fails_the_cell_with_the_report_and_nothing_is_deployed(ip):
    error, shown = run_failing(ip, "%%edge app/api/bad/route.ts\nexport function GET() {\n  return new Response('x'\n}")
    assert isinstance(error, nbruntime.BuildError)
    assert shown.startswith("BuildError: Not deployed: 1 problem (1 error)\n✖ app/api/bad/route.ts:3:1  SyntaxError:")
    assert "> 3 | }" in shown  # the code frame, under the problem's first line
    assert "Traceback" not in shown and "magics.py" not in shown  # the report, not nbruntime's own frames
    assert "app/api/bad/route.ts" not in nbruntime.get_app().deployments


def test_a_cell_after_a_failed_deploy_does_not_run_in_run_all(ip):
    # Run All sends the cells one by one and stops at the first that fails: the failure is what it sees
    error, _ = run_failing(ip, "%%edge app/api/fs/route.ts\nimport fs from 'fs'\nexport const GET = () => "
                               "new Response(fs.readFileSync('x'))")
    assert [p.api for p in error.problems] == ["fs"]


def test_keep_going_shows_the_report_without_failing_the_cell(ip, run_cell):
    out = run_cell("%%edge app/api/fs/route.ts --keep-going\nimport fs from 'fs'\n"
                   "export const GET = () => new Response(process.cwd())")
    assert out.startswith("Not deployed: 2 problems (1 error, 1 warning)\n✖ app/api/fs/route.ts:1:1  Module not found")
    assert "\n⚠ app/api/fs/route.ts:2:" in out and "    use instead: " in out


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


REDIRECTS = """import { NextResponse, type NextRequest } from 'next/server'
export function middleware(request: NextRequest) {
  const { pathname } = request.nextUrl
  if (pathname === '/old') return NextResponse.redirect(new URL('/middle', request.url))
  if (pathname === '/middle') return NextResponse.redirect(new URL('/api/echo', request.url), 308)
  if (pathname === '/form') return NextResponse.redirect(new URL('/api/echo', request.url), 303)
  if (pathname === '/away') return NextResponse.redirect('https://example.com/elsewhere')
  if (pathname === '/loop') return NextResponse.redirect(new URL('/loop', request.url))
}
export const config = { matcher: ['/old', '/middle', '/form', '/away', '/loop'] }
"""
ECHO = """export async function GET(request: Request) { return Response.json({ method: 'GET' }) }
export async function POST(request: Request) { return Response.json({ method: 'POST', body: await request.text() }) }
export async function PUT(request: Request) { return Response.json({ method: 'PUT', body: await request.text() }) }
"""


@pytest.fixture(scope="module")
def redirects(ip, run_cell):
    run_cell("%%node app/api/echo/route.ts\n" + ECHO)
    run_cell("%%edge middleware.ts\n" + REDIRECTS)


def statuses(out: str) -> list[str]:
    """The status line of every response a cell showed, in order, as it ended (not while it arrived)."""
    return [line for line in out.splitlines() if re.match(r"^\d{3} [A-Z]+ http", line) and "receiving" not in line]


def test_request_without_a_method_is_a_get_or_with_a_body_a_post_as_in_curl(redirects, run_cell):
    assert statuses(run_cell("%request /api/echo"))[0].startswith("200 GET http://localhost:3000/api/echo")
    out = run_cell("%request /api/echo -d 'hi'")
    assert statuses(out)[0].startswith("200 POST") and '{"method":"POST","body":"hi"}' in out
    assert '"method":"PUT"' in run_cell("%request -X PUT /api/echo -d 'x'")
    assert '"method":"PUT"' in run_cell("%request PUT /api/echo -d 'x'")


def test_a_method_given_twice_or_too_many_words_is_a_usage_error(ip, redirects):
    from IPython.core.error import UsageError

    for line in ("-X PUT POST /api/echo", "GET /api/echo extra"):
        with pytest.raises(UsageError):
            ip.run_line_magic("request", line)


def test_location_follows_each_hop_and_shows_it(redirects, run_cell):
    out = run_cell("%request /old -L")
    assert [s.split(" · ")[0] for s in statuses(out)] == [
        "307 GET http://localhost:3000/old", "308 GET http://localhost:3000/middle",
        "200 GET http://localhost:3000/api/echo"]
    assert "→ middleware matched → redirect 307 → /middle" in out  # each hop's own path through the app
    assert "→ middleware matched → redirect 308 → /api/echo" in out
    assert len(statuses(run_cell("%request /old"))) == 1  # without -L, as in curl: one response


def test_location_turns_a_post_into_a_get_after_303_and_keeps_it_after_307_308(redirects, run_cell):
    out = run_cell("%request POST /form -d 'a=1' -L")
    assert [s.split(" ")[:2] for s in statuses(out)] == [["303", "POST"], ["200", "GET"]]
    out = run_cell("%request POST /middle -d 'a=1' -L")
    assert [s.split(" ")[:2] for s in statuses(out)] == [["308", "POST"], ["200", "POST"]]
    assert '{"method":"POST","body":"a=1"}' in out


def test_location_stays_on_the_apps_origin_and_stops_a_loop(redirects, run_cell):
    out = run_cell("%request /away -L")
    assert len(statuses(out)) == 1 and "Not followed: https://example.com/elsewhere is another origin" in out
    out = run_cell("%request /loop -L")
    assert len(statuses(out)) == 21 and "Stopped: more than 20 redirects in a row" in out


def test_serve_answers_on_a_real_port_until_stopped(redirects, run_cell):
    import urllib.request

    out = run_cell("%nbruntime serve --port 0")
    url = re.search(r"Serving the app at (http://127\.0\.0\.1:\d+)", out).group(1)
    assert nbruntime.get_app().server.url == url
    with urllib.request.urlopen(url + "/api/echo") as answer:
        assert answer.status == 200 and b'"method":"GET"' in answer.read()
    assert f"serving: {url}" in run_cell("%nbruntime status")
    assert f"Serving the app at {url}" in run_cell("%nbruntime serve")  # again: the same server
    assert "usage: %nbruntime serve" in run_cell("%nbruntime serve --port x")
    assert "Stopped serving." in run_cell("%nbruntime serve stop")
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/api/echo", timeout=5)
    assert "Not serving." in run_cell("%nbruntime serve stop")


def test_a_closed_app_gives_way_to_a_new_one(ip, run_cell):
    """``get_app().close()`` in a cell (a notebook cleaning up): the next magic deploys to a new app, not the old."""
    closed = nbruntime.get_app()
    closed.close()
    out = run_cell("%%edge app/api/again/route.ts\nexport const GET = () => new Response('again')")
    assert "Deployed app/api/again/route.ts (edge)" in out
    assert nbruntime.get_app() is not closed and "again" in run_cell("%request GET /api/again")


def test_the_notebook_shows_what_the_app_prints_outside_requests_in_the_cell_that_ran(start_kernel):
    """A real kernel: a cell's top-level console.log shows in its own output, as a script's print would, and what a
    timer prints later shows in the output of the cell that ran last (as next start prints both on its terminal),
    errors on stderr."""
    manager, client = start_kernel()
    try:
        def run(code: str) -> tuple[str, list[dict]]:
            outputs: list[dict] = []
            reply = client.execute_interactive(code, timeout=60, output_hook=outputs.append)
            assert reply["content"]["status"] == "ok", reply["content"]
            return reply["parent_header"]["msg_id"], outputs

        run("%load_ext nbruntime")
        _, outputs = run("%%edge app/api/quiet/route.ts\nconsole.log('edge module loaded')\n"
                         "export const GET = () => new Response('')")  # printed in its edge realm
        assert any(m["msg_type"] == "stream" and m["content"]["text"] == "edge module loaded\n" for m in outputs)
        _, outputs = run("%%node app/api/loud/route.ts\nconsole.log('module loaded')\n"
                         "setTimeout(() => console.error('timer fired'), 1000)\n"
                         "export const GET = () => new Response('')")
        assert any(m["msg_type"] == "stream" and m["content"]["text"] == "module loaded\n" for m in outputs)
        cell, outputs = run("import time\ntime.sleep(3)")  # the timer fires while this cell runs
        shown = [(m["parent_header"]["msg_id"], m["content"]["name"]) for m in outputs
                 if m["msg_type"] == "stream" and m["content"]["text"] == "timer fired\n"]
        assert shown == [(cell, "stderr")]
    finally:
        manager.shutdown_kernel(now=True)
        client.stop_channels()


def test_the_server_log_can_be_listed_and_kept_out_of_the_cells(ip, run_cell):
    assert "loud at the top" in run_cell("%%node app/api/loud/route.ts\nconsole.log('loud at the top')\n"
                                         "export const GET = () => new Response('')")
    try:
        assert "no longer shows in the cells" in run_cell("%nbruntime log off")
        out = run_cell("%%node app/api/quiet/route.ts\nconsole.log('quiet at the top')\n"
                       "export const GET = () => new Response('')")
        assert "quiet at the top" not in out and "Deployed app/api/quiet/route.ts" in out
        listed = [line for line in run_cell("%nbruntime log").splitlines() if "at the top" in line]
        assert [line.split(" ", 1)[1] for line in listed] == ["loud at the top", "quiet at the top"]
        assert all(re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", line.split(" ", 1)[0]) for line in listed)
    finally:
        assert "shows in the cells again" in run_cell("%nbruntime log on")
