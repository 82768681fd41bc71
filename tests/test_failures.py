"""Bad input and failing handlers: a clear error every time, never a hang, nothing lost."""

import os
import signal
import threading
import time

import pytest

import nbruntime

OK_ROUTE = "export function GET() { return new Response('still here') }"


def test_syntax_error_points_at_line_and_column_and_keeps_the_old_deployment(app):
    app.deploy("app/api/x/route.ts", OK_ROUTE)
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy("app/api/x/route.ts", "export function GET() {\n  const a: number = ;\n  return a\n}")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column, problem.name) == ("app/api/x/route.ts", 2, 21, "SyntaxError")
    assert "> 2 |   const a: number = ;" in problem.frame
    assert app.request("GET", "/api/x").text == "still here"
    assert app.deployments["app/api/x/route.ts"].source == OK_ROUTE


def test_segment_config_values_next_build_refuses_fail_the_deploy_with_its_words(app):
    """next build checks literal segment config against its schema (recorded: conformance/segment-config-values; the
    schema and messages are those of Next 15.5's app-segment-config and zod)."""
    app.deploy("app/api/x/route.ts", OK_ROUTE)
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy("app/api/x/route.ts", "export const dynamic = 'sometimes'\nexport const revalidate = -5\n"
                                         "export const maxDuration = 1.5\n" + OK_ROUTE)
    assert caught.value.problems[0].message == (
        'Invalid segment configuration options detected for "/api/x". Read more at '
        "https://nextjs.org/docs/app/api-reference/file-conventions/route-segment-config: "
        'Invalid revalidate value -5 on "/api/x", must be a non-negative number or false at "revalidate"; '
        "Invalid enum value. Expected 'auto' | 'error' | 'force-static' | 'force-dynamic', received 'sometimes' at "
        '"dynamic"; Expected integer, received float at "maxDuration"')
    assert app.request("GET", "/api/x").text == "still here"
    app.deploy("app/api/y/route.ts", "export const revalidate = false\nexport const runtime = 'edge'\n"
                                     "export const preferredRegion = ['iad1']\n" + OK_ROUTE)


def test_early_errors_that_only_v8_finds_are_located_too(app):
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy("app/api/y/route.ts", "let a = 1\nexport function GET() {}\n  let a = 2\n")
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (3, 7)
    assert "already been declared" in problem.message


def test_error_at_module_evaluation_is_a_build_error_with_its_line(app):
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy("app/api/z/route.ts",
                   "const config = undefined as any\nconst x = config.key\nexport function GET() {}")
    problem = caught.value.problems[0]
    assert (problem.name, problem.line) == ("TypeError", 2)


def test_handler_exception_gives_next_500_and_a_stack_mapped_to_the_cell(app):
    app.deploy("lib/parse.ts", "export function parse(text: string) {\n  return JSON.parse(text)\n}")
    app.deploy("app/api/boom/route.ts", "import { parse } from '@/lib/parse'\n\n"
                                        "export function GET() {\n  return Response.json(parse('{oops'))\n}")
    r = app.request("GET", "/api/boom")
    # A node route that throws gets an empty 500 from next start 15.5 (tests/conformance/errors-and-subrequest).
    assert r.status == 500 and r.body == b""
    assert (r.error.kind, r.error.name) == ("exception", "SyntaxError")
    assert (r.error.file, r.error.line) == ("lib/parse.ts", 2)
    assert "app/api/boom/route.ts:4:" in r.error.stack
    assert "nbruntime/js" not in r.error.stack
    assert "> 2 |   return JSON.parse(text)" in r.error.frame


@pytest.mark.parametrize("body", [
    "while (true) {}",  # synchronous loop
    "for (;;) await Promise.resolve()",  # promises that never yield to the event loop
])
def test_runaway_handler_is_stopped_and_the_next_request_works(app, body):
    app.deploy("app/api/ok/route.ts", OK_ROUTE)
    app.deploy("app/api/spin/route.ts", f"export async function GET() {{ {body} }}")
    started = time.monotonic()
    r = app.request("GET", "/api/spin", timeout=1)
    assert time.monotonic() - started < 8
    assert (r.status, r.error.kind) == (504, "timeout")
    assert "blocked the Node.js event loop" in r.error.message
    assert app.request("GET", "/api/ok").text == "still here"


def test_a_handler_that_never_answers_times_out_without_a_restart(app):
    app.deploy("app/api/ok/route.ts", OK_ROUTE)
    app.deploy("app/api/wait/route.ts", "export function GET() { return new Promise(() => {}) }")
    pid = app.host_pid
    r = app.request("GET", "/api/wait", timeout=0.5)
    assert (r.status, r.error.kind, app.host_pid) == (504, "timeout", pid)
    assert "25 s" in r.error.message
    assert app.request("GET", "/api/ok").text == "still here"


def test_a_stream_that_stalls_midway_is_cut_off_and_keeps_what_came():
    with nbruntime.App(stream_timeout=0.5) as app:
        app.deploy("app/api/stall/route.ts", """export function GET() {
  return new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('first')) } }))
}""")
        r = app.request("GET", "/api/stall")
        assert (r.status, r.body, r.error.kind) == (200, b"first", "timeout")


def test_process_exit_restarts_the_host_and_redeploys_every_cell(app):
    app.deploy("app/api/ok/route.ts", OK_ROUTE)
    app.deploy("app/api/exit/route.ts", "export function GET() {\n  process.exit(3)\n}", runtime="nodejs")
    first_pid = app.host_pid
    r = app.request("GET", "/api/exit")
    assert r.error.kind == "crash"
    assert "process.exit(3)" in r.error.message and "app/api/exit/route.ts:2" in r.error.message
    assert app.host_pid not in (None, first_pid) and app.restarts == 1
    assert app.request("GET", "/api/ok").text == "still here"


def test_host_killed_mid_stream_reports_the_chunks_so_far_and_recovers(app):
    app.deploy("app/api/ok/route.ts", OK_ROUTE)
    app.deploy("app/api/slow/route.ts", """export function GET() {
  let i = 0
  return new Response(new ReadableStream({
    async pull(c) { await new Promise(r => setTimeout(r, 50)); c.enqueue(new TextEncoder().encode(`${i++},`)) },
  }))
}""")
    pid = app.host_pid
    with app.stream("GET", "/api/slow") as stream:
        for _ in stream:
            if len(stream.response.chunks) == 3:
                os.kill(pid, signal.SIGKILL)
    r = stream.response
    assert r.body.startswith(b"0,1,2,") and r.error.kind == "crash"
    assert "SIGKILL" in r.error.message
    assert app.request("GET", "/api/ok").text == "still here"


def test_leaving_a_stream_early_cancels_the_handler(app):
    app.deploy("app/api/forever/route.ts", """let cancelled = false
export function GET(request: Request) {
  if (new URL(request.url).searchParams.has('check')) return Response.json({ cancelled })
  return new Response(new ReadableStream({
    async pull(c) { await new Promise(r => setTimeout(r, 10)); c.enqueue(new Uint8Array([1])) },
    cancel() { cancelled = true },
  }))
}""")
    with app.stream("GET", "/api/forever") as stream:
        next(iter(stream))
    assert stream.response.error.kind == "cancelled"
    assert app.request("GET", "/api/forever?check").json() == {"cancelled": True}


def test_requests_from_other_threads_while_one_hangs(app):
    app.deploy("app/api/ok/route.ts", OK_ROUTE)
    app.deploy("app/api/wait/route.ts", "export function GET() { return new Promise(() => {}) }")
    results = []
    waiter = threading.Thread(target=lambda: results.append(app.request("GET", "/api/wait", timeout=2)))
    waiter.start()
    assert [app.request("GET", "/api/ok").text for _ in range(20)] == ["still here"] * 20
    waiter.join()
    assert results[0].error.kind == "timeout"


@pytest.mark.parametrize("path", ["../outside.ts", "/abs/route.ts", "app/../../x.ts", ""])
def test_paths_outside_the_app_are_refused(app, path):
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy(path, OK_ROUTE)
    assert caught.value.problems[0].name == "InvalidPath"
    assert app.deployments == {}


def test_a_host_started_from_a_short_lived_thread_outlives_that_thread(app):
    # Linux's parent-death signal follows the forking *thread*: a widget's request thread that started the
    # host must not take it down when it ends.
    starter = threading.Thread(target=app.warm)
    starter.start()
    starter.join()
    pid = app.host_pid
    time.sleep(0.3)
    app.deploy("app/api/ok/route.ts", OK_ROUTE)
    assert app.request("GET", "/api/ok").text == "still here" and app.host_pid == pid
