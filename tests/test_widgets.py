"""The request panel from Python: sending without blocking, stopping, bad input, history and copy-as."""

import shlex
import subprocess
import sys
import time
import urllib.request

import pytest
from IPython.display import display as show_in_cell
from IPython.utils.capture import capture_output

from nbruntime import display
from nbruntime.widgets import RequestPanel

SSE = """export function GET() {
  const enc = new TextEncoder()
  return new Response(new ReadableStream({
    async start(c) {
      for (let i = 1; i <= 3; i++) { c.enqueue(enc.encode(`event: step\\nid: ${i}\\ndata: {"n":${i}}\\n\\n`)) }
      c.close()
    },
  }), { headers: { 'content-type': 'text/event-stream' } })
}"""

FOREVER = """export function GET() {
  return new Response(new ReadableStream({
    async pull(c) { await new Promise(r => setTimeout(r, 20)); c.enqueue(new Uint8Array([65])) },
  }))
}"""


@pytest.fixture
def panel(app):
    app.deploy("app/api/events/route.ts", SSE, runtime="edge")
    app.deploy("app/api/forever/route.ts", FOREVER)
    app.deploy("app/api/echo/route.ts", "export async function POST(r: Request) {\n"
                                        "  return new Response(await r.text(), { headers: r.headers })\n}")
    return RequestPanel(app, "/api/events")


def test_send_returns_at_once_and_server_sent_events_show_as_rows(panel):
    worker = panel.send()
    assert worker.is_alive() or panel.history.options  # returned before (or right as) the answer came
    worker.join(10)
    assert "nbruntime-events" in panel.view.value
    assert [(event["event"], event["id"], event["data"]) for _, event in
            display.sse_events(panel.app.history[-1].response)] == [("step", "1", '{"n":1}'), ("step", "2", '{"n":2}'),
                                                                     ("step", "3", '{"n":3}')]
    assert len(panel.history.options) == 1 and panel.send_button.disabled is False


def test_the_view_shows_the_selected_response_and_never_flashes_another_as_the_history_grows(panel):
    panel.send().join(10)
    shown: list[str] = []
    panel.view.observe(lambda change: shown.append(change["new"]), "value")
    panel.app.request("POST", "/api/echo", body="from elsewhere")  # answered while the panel shows its own
    assert shown == [] and "/api/events" in panel.history.label

    panel.history.value = next(index for label, index in panel.history.options if "/api/echo" in label)
    assert "/api/echo" in shown.pop()
    panel.send().join(10)  # the panel's own answer is selected and shown when it lands, with nothing between
    assert shown and all("/api/events" in view and "/api/echo" not in view for view in shown)
    assert panel.history.index == 0 and "receiving" not in panel.view.value


def test_stop_cancels_a_stream_that_never_ends(panel):
    panel.builder.path.value = "/api/forever"
    worker = panel.send()
    time.sleep(0.3)
    assert panel.stop_button.disabled is False and "receiving" in panel.view.value
    panel.stop()
    worker.join(5)
    response = panel.app.history[-1].response
    assert not worker.is_alive() and response.error.kind == "cancelled" and len(response.chunks) > 3


@pytest.mark.parametrize(("field", "value", "message"), [
    ("headers", "bad name: 1", "headers: 'bad name' is not a valid header name"),
    ("headers", "no colon here", "headers: line 1 is not 'name: value'"),
    ("path", "/a path", "url: '/a path' is not a URL path"),
    ("method", "GE T", "method: 'GE T' is not an HTTP method"),
    ("body", "{not json", "body: not valid JSON"),
])
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_sent(panel, field, value, message):
    if field == "body":
        panel.builder.method.value, panel.builder.body_kind.value = "POST", "JSON"
    getattr(panel.builder, field).value = value
    assert panel.send() is None
    shown = " ".join(label.value for label in panel.builder.errors.values())
    assert message in shown
    assert panel.app.history == type(panel.app.history)(maxlen=panel.app.history.maxlen)


def test_history_replays_edits_and_copies_as_a_working_test(panel, app):
    panel.builder.path.value, panel.builder.method.value = "/api/echo", "POST"
    panel.builder.body_kind.value, panel.builder.body.value = "form", "a=1\nb=two words"
    panel.builder.cookies.value = "session=alice"
    panel.send().join(10)
    assert app.history[-1].response.text == "a=1&b=two+words"
    panel.replay().join(10)
    assert [entry.response.text for entry in app.history] == ["a=1&b=two+words"] * 2

    panel.builder.path.value = "/elsewhere"
    panel.edit()
    assert (panel.builder.path.value, panel.builder.cookies.value) == ("/api/echo", "session=alice")

    panel.copy_as.value = "curl"
    note, curl = panel.snippet.value.split("\n")
    assert note == "# nothing listens on http://localhost:3000 yet: %nbruntime serve (or app.serve()) answers there"
    assert curl.startswith("curl -i -X POST http://localhost:3000/api/echo -H 'cookie: session=alice'")
    panel.copy_as.value = "test"
    namespace: dict = {}
    exec(panel.snippet.value, namespace)  # the generated test passes against the same app
    next(f for name, f in namespace.items() if name.startswith("test_"))(app)


def test_copy_as_curl_targets_the_served_port_and_the_command_works(panel, app):
    server = app.serve(port=0)
    panel.builder.path.value, panel.builder.method.value = "/api/echo", "POST"
    panel.builder.body_kind.value, panel.builder.body.value = "text", "hello"
    panel.send().join(10)
    panel.copy_as.value = "curl"
    command = panel.snippet.value
    assert command.startswith(f"curl -i -X POST {server.url}/api/echo")
    answer = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30).stdout
    assert answer.startswith("HTTP/1.1 200 OK") and answer.endswith("\n\nhello")
    panel.copy_as.value = "fetch()"
    assert panel.snippet.value.startswith(f'await fetch("{server.url}/api/echo"')


def test_the_history_lists_every_request_the_app_answered_from_anywhere(panel, app):
    app.request("GET", "/api/events")  # from Python
    server = app.serve(port=0)
    urllib.request.urlopen(server.url + "/api/echo", data=b"x").read()  # from another HTTP client
    deadline = time.monotonic() + 5
    while len(app.history) < 2 and time.monotonic() < deadline:  # its body had a length: read before it is kept
        time.sleep(0.01)
    labels = [label for label, _ in panel.history.options]
    assert labels[0].startswith("2. POST /api/echo → 200") and labels[1].startswith("1. GET /api/events → 200")
    panel.history.value = 0
    assert "nbruntime-events" in panel.view.value
    panel.replay().join(10)
    assert [e.request.method for e in app.history] == ["GET", "POST", "GET"]


def test_export_writes_a_pytest_file_that_passes_on_its_own(panel, app, tmp_path):
    panel.send().join(10)
    app.request("POST", "/api/echo", body="two")
    panel.export_to.value = str(tmp_path / "test_requests.py")
    assert panel.export() == tmp_path / "test_requests.py"
    assert "Wrote" in panel.export_status.value and "2 tests" in panel.export_status.value
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert "2 passed" in result.stdout, result.stdout + result.stderr
    panel.export_as.value = "Next.js project"
    assert panel.export_to.value == "exported-app"
    panel.export_to.value = str(tmp_path / "project")
    panel.export()
    assert (tmp_path / "project" / "replay.test.mjs").is_file() and "files to" in panel.export_status.value


def test_the_panel_leaves_a_snapshot_that_follows_its_history(ipython, panel, app):
    with capture_output() as shown:
        show_in_cell(panel)
    widget, picture = (output.data for output in shown.outputs)
    assert "application/vnd.jupyter.widget-view+json" in widget and "nbruntime-live" in panel._dom_classes
    assert "0 requests answered" in picture["text/plain"] and 'class="nbruntime-snapshot"' in picture["text/html"]
    with capture_output() as updates:
        panel.send().join(10)
    latest = updates.outputs[-1]
    assert latest.update and latest.transient == {"display_id": panel._snapshot_id}
    assert "1 request answered" in latest.data["text/plain"]
    assert "200 GET http://localhost:3000/api/events" in latest.data["text/plain"]
    assert "nbruntime-events" in latest.data["text/html"]  # the response as the panel showed it


def test_the_body_box_is_disabled_while_the_body_is_none(panel):
    assert panel.builder.body.disabled
    panel.builder.body_kind.value = "JSON"
    assert not panel.builder.body.disabled


def test_a_long_body_says_how_much_is_hidden(app):
    app.deploy("app/api/many/route.ts", """export function GET() {
  return new Response(new ReadableStream({ async start(c) {
    for (let i = 0; i < 600; i++) { c.enqueue(new TextEncoder().encode(`${i},`)); await null }
    c.close() } }))
}""")
    response = app.request("GET", "/api/many")
    text = display.response_bundle(response)["text/plain"]
    hidden = len(response.chunks) - display.MAX_CHUNKS_SHOWN
    assert hidden > 0 and f"… {hidden} more chunks" in text and "response.body" in text


def test_the_timeline_shows_work_that_runs_after_the_response(app):
    app.deploy("app/api/later/route.ts", """import { after } from 'next/server'
export function GET() {
  after(() => new Promise(r => setTimeout(r, 60)))
  return new Response('now')
}""")
    response = app.request("GET", "/api/later")
    work = response.trace.step("after")
    assert work is not None and work.end_ms - work.start_ms >= 50
    assert response.elapsed_ms < work.end_ms  # the response ended before its after() work did
    assert 'class="nbruntime-after"' in display.response_bundle(response)["text/html"]
