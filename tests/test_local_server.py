"""``App.serve()``: the app on a real 127.0.0.1 port, asked by real HTTP clients (http.client, curl, Node's fetch).

The answers are the pipeline's (the same status, headers and body as ``App.request``), streamed chunk by
chunk; every request lands in ``App.history``; stopping the kernel stops the server, and nothing but that one
loopback port listens.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import socket
import subprocess
import time
import urllib.request

import psutil
import pytest
from examples import ISSUE_MIDDLEWARE, SLUG_ROUTE

import nbruntime

SLOW = """export async function GET() {
  const enc = new TextEncoder()
  return new Response(new ReadableStream({
    async start(c) {
      for (let i = 1; i <= 4; i++) { c.enqueue(enc.encode(`tick ${i}\\n`)); await new Promise(r => setTimeout(r, 250)) }
      c.close()
    },
  }), { headers: { 'content-type': 'text/plain' } })
}
"""
ECHO = """export async function POST(request: Request) {
  return Response.json({ body: await request.text(), url: request.url, host: request.headers.get('host') })
}
"""
COOKIES = """export function GET() {
  const headers = new Headers({ 'content-type': 'text/plain' })
  headers.append('set-cookie', 'a=1; Path=/')
  headers.append('set-cookie', 'b=2; Path=/')
  return new Response('two cookies', { headers })
}
"""
# A node route that asks another route of the same app over HTTP, through the served port.
FETCHER = """export async function GET(request: Request) {
  const target = new URL(request.url).searchParams.get('target')!
  const answer = await fetch(target)
  return Response.json({ status: answer.status, text: await answer.text() })
}
"""
BROKEN = """export function GET() {
  return new Response(new ReadableStream({
    start(c) { c.enqueue(new TextEncoder().encode('half')); c.error(new Error('stream broke')) },
  }))
}
"""


@pytest.fixture(scope="module")
def served():
    with nbruntime.App() as app:
        app.deploy("app/api/slow/route.ts", SLOW, runtime="edge")
        app.deploy("app/api/echo/route.ts", ECHO)
        app.deploy("app/api/cookies/route.ts", COOKIES)
        app.deploy("app/api/fetch/route.ts", FETCHER)
        app.deploy("app/api/broken/route.ts", BROKEN)
        app.deploy("middleware.ts", ISSUE_MIDDLEWARE)
        app.deploy("app/dashboard/[...slug]/route.ts", SLUG_ROUTE)
        server = app.serve(port=0)
        yield app, server


def connect(server) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)


def test_chunks_reach_the_client_as_the_handler_makes_them(served):
    app, server = served
    connection = connect(server)
    connection.request("GET", "/api/slow")
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("content-type") == "text/plain"
    assert response.getheader("transfer-encoding") == "chunked"
    arrivals = []
    started = time.monotonic()
    while piece := response.read1(64):
        arrivals.append((time.monotonic() - started, piece))
    assert b"".join(p for _, p in arrivals) == b"tick 1\ntick 2\ntick 3\ntick 4\n"
    assert arrivals[-1][0] - arrivals[0][0] > 0.6, arrivals  # 4 ticks 250 ms apart: the first came early
    assert app.history[-1].request.url == f"{server.url}/api/slow" and app.history[-1].response.status == 200


def test_the_answer_is_the_pipelines_with_the_host_the_client_asked_for(served):
    app, server = served
    connection = connect(server)
    connection.request("POST", "/api/echo", body=b"hello", headers={"host": f"localhost:{server.port}"})
    answer = connection.getresponse()
    assert answer.status == 200
    assert answer.read() == (b'{"body":"hello","url":"http://localhost:%d/api/echo","host":"localhost:%d"}'
                             % (server.port, server.port))
    in_kernel = app.request("POST", "/api/echo", body="hello")  # the same code, asked from Python
    assert in_kernel.headers.get("vary") == answer.getheader("vary")

    connection.request("GET", "/dashboard/a/b")  # the same connection (keep-alive): middleware redirects
    redirect = connection.getresponse()
    redirect.read()
    assert (redirect.status, redirect.getheader("location")) == (307, "/login")  # same origin: relative
    assert app.history[-1].response.verdict == "middleware matched → redirect 307 → /login"
    connection.request("GET", "/dashboard/a/b", headers={"cookie": "session=ada"})
    assert connection.getresponse().read() == b'{"user":"ada","slug":["a","b"]}'


def test_repeated_headers_chunked_uploads_head_and_404_as_an_http_client_sees_them(served):
    _, server = served
    connection = connect(server)
    connection.request("GET", "/api/cookies")
    answer = connection.getresponse()
    assert answer.read() == b"two cookies" and answer.msg.get_all("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    connection.request("POST", "/api/echo", body=iter([b"chunked ", b"upload"]), encode_chunked=True,
                       headers={"transfer-encoding": "chunked"})
    assert b'"body":"chunked upload"' in connection.getresponse().read()
    connection.request("HEAD", "/api/slow")
    head = connection.getresponse()
    assert head.status == 200 and head.read() == b""
    connection.request("GET", "/nowhere")
    missing = connection.getresponse()
    assert missing.status == 404 and b"This page could not be found" in missing.read()


def test_curl_and_a_node_cells_fetch_reach_the_app(served):
    app, server = served
    out = subprocess.run(["curl", "-sN", f"{server.url}/api/slow"], capture_output=True, text=True, timeout=30)
    assert out.stdout == "tick 1\ntick 2\ntick 3\ntick 4\n"
    nested = app.request("GET", f"/api/fetch?target={server.url}/api/cookies")
    assert nested.json() == {"status": 200, "text": "two cookies"}


def test_a_stream_that_breaks_is_cut_off_not_ended(served):
    _, server = served
    connection = connect(server)
    connection.request("GET", "/api/broken")
    answer = connection.getresponse()
    assert answer.status == 200
    with pytest.raises(http.client.IncompleteRead):  # no last chunk: a client cannot take it as whole
        answer.read()


def test_a_client_that_hangs_up_cancels_its_request(served):
    app, server = served
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /api/slow HTTP/1.1\r\nhost: 127.0.0.1:%d\r\n\r\n" % server.port)
        assert b"tick 1" in sock.recv(4096) or b"tick 1" in sock.recv(4096)
    deadline = time.monotonic() + 10
    while app.history[-1].request.url != f"{server.url}/api/slow" or app.history[-1].response.error is None:
        assert time.monotonic() < deadline, "the request went on after its client left"
        time.sleep(0.05)
    assert app.history[-1].response.error.kind == "cancelled"


def test_many_clients_at_once_all_get_their_answer(served):
    _, server = served

    def ask(n: int) -> bytes:
        request = urllib.request.Request(f"{server.url}/api/echo", data=str(n).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.read()

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(200)))
    assert all(f'"body":"{n}"'.encode() in answer for n, answer in enumerate(answers))


def test_serving_again_stopping_and_a_taken_port():
    with nbruntime.App() as app:
        server = app.serve(port=0)
        assert app.serve() is server and app.server is server
        with pytest.raises(OSError, match=f"port {server.port} on 127.0.0.1 is in use"):
            nbruntime.App().serve(port=server.port)
        default = nbruntime.App()
        try:
            assert 3000 <= default.serve().port < 3020  # next start's port, or the next free one
        finally:
            default.close()
        server.stop()
        assert app.server is None and not server.running
        with pytest.raises(OSError):
            urllib.request.urlopen(server.url, timeout=5)
        again = app.serve(port=0)
    assert not again.running  # close() stopped it


def listening(pid: int) -> set[tuple[str, int]]:
    process = psutil.Process(pid)
    return {c.laddr[:2] for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}


def test_the_kernel_serves_only_on_loopback_and_stopping_it_stops_the_server(start_kernel):
    manager, client = start_kernel()
    try:
        kernel = psutil.Process(manager.provisioner.pid)
        before = listening(kernel.pid)
        outputs = []
        reply = client.execute_interactive(
            "%load_ext nbruntime\n"
            "import nbruntime\napp = nbruntime.get_app()\n"
            f"app.deploy('app/api/slow/route.ts', {SLOW!r})\n"
            "print(app.serve(port=0).port, app.host_pid)", timeout=60, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok"
        port, host_pid = map(int, next(m["content"]["text"] for m in outputs if m["msg_type"] == "stream").split())
        assert listening(kernel.pid) - before == {("127.0.0.1", port)}  # one new socket, on loopback only
        assert listening(host_pid) == set()  # the Node.js host listens nowhere
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/slow", timeout=30) as answer:
            assert answer.read() == b"tick 1\ntick 2\ntick 3\ntick 4\n"
    finally:
        manager.shutdown_kernel(now=True)
        client.stop_channels()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
