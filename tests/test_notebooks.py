"""Notebooks run top to bottom by a real kernel, and the host never outlives its kernel."""

import functools
import re
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   allow_errors=False).execute()
    return notebook


@functools.cache
def executed(name: str) -> nbformat.NotebookNode:
    """Each notebook runs once per test session; the tests below read its outputs."""
    return execute(NOTEBOOK_DIR / name)


def outputs_text(cell) -> str:
    """A cell's text outputs as one text; prints the kernel sent as one stream output or as several read the same."""
    parts: list[str] = []
    previous = None
    for output in cell.get("outputs", []):
        text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
        stream = output.get("name") if output.get("output_type") == "stream" else None
        if stream is not None and stream == previous:
            parts[-1] += text
        else:
            parts.append(text)
        previous = stream
    return "\n".join(parts)


def texts_of(name: str) -> list[str]:
    """The text outputs of the notebook's code cells, in order."""
    return [outputs_text(cell) for cell in executed(name).cells if cell.cell_type == "code"]


def output_with(texts: list[str], needle: str) -> str:
    return next(t for t in texts if needle in t)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path):
    executed(path.name)


def test_tour_shows_streamed_ticks_and_the_error_line():
    texts = texts_of("01-tour.ipynb")
    request = next(t for t in texts if "200 GET http://localhost:3000/api/stream" in t)
    assert [line.split("] ")[1] for line in request.splitlines() if "] tick" in line] == ["tick 1", "tick 2", "tick 3"]
    assert any("(500, 'SyntaxError', 2)" in t for t in texts)


def test_tour_middleware_redirects_and_tags():
    texts = texts_of("01-tour.ipynb")
    redirect = output_with(texts, "307 GET http://localhost:3000/me")
    assert "location: /users/ada" in redirect
    assert "(200, 'grace', 'middleware')" in texts
    assert "(200, None)" in texts  # /api/stream is outside the matcher
    assert texts[-1].startswith("(/me, /users/:id)            middleware.ts")  # %nbruntime routes


def test_edge_vs_node_shows_the_three_problems_then_runs_on_node():
    texts = texts_of("02-edge-vs-node.ipynb")
    refused = output_with(texts, "Not deployed: 3 problems")
    for where in ("route.ts:1:1", "route.ts:5:", "route.ts:6:"):
        assert where in refused
    assert "Can't resolve 'fs'" in refused and "(eval)" in refused and "(process.cwd)" in refused
    listed = output_with(texts, "(1, 'fs', 'error', 'build')")
    assert "(5, 'eval'" in listed and "(6, 'process.cwd', 'warning', 'run')" in listed
    assert "(200, 'dark', 120)" in texts  # the same code under %%node
    failure = output_with(texts, "500\nError: A Node.js API is used (process.cwd)")  # run-time failure on edge
    assert "Use instead:" in failure
    assert "differs: deploy build: edge fails at build: `fs`" in output_with(texts, "edge vs nodejs")
    assert any("[('header x-runtime', 'edge', 'nodejs')]" in t for t in texts)
    assert "Proxy always runs on Node.js" in output_with(texts, "Not deployed: 1 problem")
    assert "(307, '/api/probe/node?welcome=1', ['visited=yes; Path=/'])" in texts  # Next 16: relative location
    assert "(200, 'nodejs')" in texts


def test_middleware_patterns_behave():
    texts = texts_of("03-middleware-patterns.ipynb")
    signed = output_with(texts, "session=admin.0000")
    assert "307 /login?next=%2Fdashboard%3Ftab%3Dbilling" in signed
    assert '200 {"page":"dashboard","tab":"billing"}' in signed
    sticky = output_with(texts, "', True),")  # one cookie, then the same variant every time
    assert sticky.count("False)") == 3 and len(set(line.split("'")[1] for line in sticky.splitlines())) == 1
    languages = output_with(texts, "Swiss French")
    for expected in ("/fr/about    À propos", "/de/about    Über uns", "/en/about    About us"):
        assert expected in languages
    assert languages.count("/en/about") == 2  # the NEXT_LOCALE cookie beats accept-language
    rewritten = output_with(texts, "'/de/about'")  # internal rewrite: middleware's vary merged with the route's
    assert "'accept-language, rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch'" \
        in rewritten
    assert "404 True\n\n3" in texts  # security headers on a 404 too; a new nonce each time
    whoami = output_with(texts, "200 GET http://localhost:3000/api/whoami")
    assert '{"x-user-id":"ada","authorization":null,"x-request-id":"req-42"}' in whoami
    assert "(None, True)" in texts  # a spoofed x-user-id is dropped
    limited = output_with(texts, "remaining 2")
    assert [line.split()[1] for line in limited.splitlines() if line] == ["200", "200", "200", "429", "429"]
    assert "[(200, '2'), (200, '1'), (200, '0'), (429, '0')]" in output_with(texts, "CookieJar")
    gateway = output_with(texts, "200 GET http://localhost:3000/api/v1/orders?limit=2")  # proxied to a server
    assert "(external, proxied) → 200" in gateway and '"path": "/v1/orders?limit=2"' in gateway
    assert '"for": "localhost:3000", "user": "ada"' in gateway
    down = output_with(texts, "'Internal Server Error',")
    assert down.startswith("(500,") and "Failed to proxy http://127.0.0.1:" in down and "ECONNREFUSED" in down


def test_streaming_events_tokens_and_backpressure():
    texts = texts_of("04-streaming.ipynb")
    events = output_with(texts, "200 GET http://localhost:3000/api/job ·")
    rows = [line.split("] ", 1)[1] for line in events.splitlines() if line.startswith("[")]
    assert rows == [f'event: progress {{"done":{n}}}' for n in (20, 40, 60, 80, 100)] + ['event: done {"ok":true}']
    resumed = output_with(texts, "200 GET http://localhost:3000/api/job · 120 B")  # after last-event-id: 3
    assert [line.split("] ", 1)[1] for line in resumed.splitlines() if line.startswith("[")] == rows[3:]
    assert "(4 WORDS)" in output_with(texts, "1: STREAMS")
    assert "{'lastAnswer': 'finished: 17 tokens'}" in texts
    assert "{'lastAnswer': 'cancelled after" in output_with(texts, "cancelled\n")
    start = output_with(texts, "room left in the queue").splitlines()
    first_sent = next(i for i, line in enumerate(start) if "[body]" in line)
    assert all("[body]" in line for line in start[first_sent:] if line.strip())  # start: all produced up front
    pull = [line.split("] ", 1)[1] for line in output_with(texts, "[log] produced 1\n").splitlines() if "] " in line]
    assert pull.index("sent item 1") < pull.index("produced 3")  # pull: production waits for the consumer


def test_testing_notebook_finds_the_bug_then_no_failure():
    texts = texts_of("05-testing-from-python.ipynb")
    found = output_with(texts, "Hypothesis found a failure")
    assert "RangeError" in found and "people=-1" in found
    assert re.search(r"Hypothesis found no failure in \d+ requests", "\n".join(texts))
    assert "def test_get__api_split_total_10_people_3(app):" in "\n".join(texts)
    assert "test_get__api_split_total_10_people_3 passed" in "\n".join(texts)


def test_host_goes_away_with_its_kernel(start_kernel):
    outputs = []
    manager, client = start_kernel()
    try:
        reply = client.execute_interactive(
            "import nbruntime\napp = nbruntime.get_app()\n"
            "app.deploy('app/api/spin/route.ts', 'export function GET() { while (true) {} }')\n"
            "print(app.request('GET', '/api/spin', timeout=0.5).error.kind, app.host_pid)",
            timeout=60, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok"
    finally:
        manager.shutdown_kernel(now=True)
        client.stop_channels()
    kind, pid = next(m["content"]["text"] for m in outputs if m["msg_type"] == "stream").split()
    assert kind == "timeout"
    deadline = time.monotonic() + 10
    while running(int(pid)):
        assert time.monotonic() < deadline, "the Node.js host outlived its kernel"
        time.sleep(0.1)


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_static_isr_notebook_shows_the_cache_the_clock_and_the_edge():
    texts = texts_of("08-static-isr-and-the-edge.ipynb")
    assert "x-nextjs-cache: HIT" in output_with(texts, "200 GET http://localhost:3000/api/prices ·")
    window = output_with(texts, "STALE {")
    assert "HIT {'eur': 9.99, 'calls': 1, 'phase': 'server'} s-maxage=60" in window  # regenerated by the server
    assert "'calls': 3" in output_with(texts, "None None {")  # the edge copy ran every time
    assert "differs: deploy isr:" in output_with(texts, "edge vs nodejs")
    assert "'lang': None" in output_with(texts, "'url': 'http://localhost:3000/api/hello'")
    assert "('ƒ', 'its GET used `request.headers`')" in texts
    assert "/products/lamp     MISS" in output_with(texts, "/products/kettle   HIT")
    assert "MISS {'eur': 9.99, 'calls': 2" in output_with(texts, "{'revalidated': '/api/prices'}")
    assert "[1, 1, 1]\n[2, 2, 2]" in output_with(texts, "[1, 1, 1]")


def test_npm_notebook_verifies_jwts_and_shows_where_fs_breaks():
    texts = texts_of("07-npm-packages.ipynb")
    assert "installed jose@6.2.19, read-config@1.0.0" in output_with(texts, "installed jose")
    assert '{"welcome":"ada"}' in output_with(texts, '{"welcome"')
    assert "packages: middleware.ts: jose@6.2.19" in output_with(texts, '{"welcome"')
    assert "A Node.js module is loaded ('fs')" in output_with(texts, "bundled read-config")
    assert "500 GET http://localhost:3000/config" in output_with(texts, "/config ·")
    assert "Module not found: Can't resolve 'fs'" in output_with(texts, "Not deployed")
    assert '{"theme":"dark"}' in output_with(texts, "200 GET http://localhost:3000/api/config")
    assert "edge fails at build" in output_with(texts, "edge vs nodejs")


def test_tour_follows_the_redirect_with_location():
    texts = texts_of("01-tour.ipynb")
    followed = next(t for t in texts if "307 GET http://localhost:3000/me" in t and "200 GET" in t)
    statuses = [line.split(" · ")[0] for line in followed.splitlines() if line.startswith(("307 GET", "200 GET"))
                and "receiving" not in line]
    assert statuses[-2:] == ["307 GET http://localhost:3000/me", "200 GET http://localhost:3000/users/ada"]


def test_request_panel_notebook_lists_every_request_replays_and_exports():
    notebook = executed("06-request-panel.ipynb")
    texts = texts_of("06-request-panel.ipynb")
    labels = output_with(texts, "['4. GET /api/products?max=30 → 200")
    assert "'1. GET /shop → 308" in labels and "'2. GET /api/products → 200" in labels
    assert "('http://localhost:3000/api/products/7', 404)" in texts  # the replay
    # 3000, or the next free port when another app has it
    assert re.search(r"^curl -i -X GET http://127\.0\.0\.1:30\d\d/api/products/7$", "\n".join(texts), re.M)
    assert "test_requests.py: 5 tests" in output_with(texts, "test_requests.py")
    assert "'replay.test.mjs'" in output_with(texts, "replay.test.mjs")
    panel = next(c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("from nbruntime.widgets"))
    widget, snapshot = panel.outputs
    assert "application/vnd.jupyter.widget-view+json" in widget.data
    # the snapshot was redrawn as the app answered, up to the last request of the notebook
    assert "Request panel: 5 requests answered" in snapshot.data["text/plain"]
    assert 'class="nbruntime-snapshot"' in snapshot.data["text/html"]
