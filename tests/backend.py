"""Another origin for cases that proxy to one: a small HTTP server that answers with what it received.

A case whose ``.env`` sets ``BACKEND_ORIGIN=http://127.0.0.1:PORT`` gets it on that port, while the oracle records the
case (``scripts/record.py``) and while the tests replay it (``test_conformance.py``). Its answers depend only on the
request, so a recording and a replay compare. The port is fixed (the recorded answers name it), so it is one below
every system's range of ports given out on request (Linux's starts at 32768): no other socket of a test run has it.

- ``/status/N``: status N, a text body, a cookie of its own.
- ``/redirect``: a 302 to ``/after``.
- ``/gzip``: a gzip-encoded body (``content-encoding: gzip``).
- anything else: 200 (201 for a POST), JSON of the method, path, body and the headers in ``ECHOED`` (the app's port
  written ``<PORT>``, so the body's length does not depend on it).
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

#: The request headers echoed (what a client library adds on its own, accept-encoding say, is left out).
ECHOED = ("host", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-for", "x-custom",
          "x-dropped", "x-added", "x-from-middleware", "cookie", "user-agent", "content-type", "content-length",
          "connection")


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "echo"

    def date_time_string(self, timestamp: float | None = None) -> str:
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def answer(self) -> None:
        size = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(size).decode(errors="replace") if size else ""
        if status := re.fullmatch(r"/status/(\d{3})", self.path):
            self.reply(int(status[1]), b"the other origin says " + status[1].encode(), "text/plain",
                       [("set-cookie", "backend=1; Path=/")])
        elif self.path == "/redirect":
            self.reply(302, b"", None, [("location", "/after")])
        elif self.path == "/gzip":
            self.reply(200, gzip.compress(b"zipped by the other origin", mtime=0), "text/plain",
                       [("content-encoding", "gzip")])
        else:
            echoed = {name: self.headers.get(name) for name in ECHOED}
            port = urlsplit(f"//{echoed['x-forwarded-host'] or ''}").port  # the app's, which a replay picks anew
            if port:
                echoed = {name: value and value.replace(str(port), "<PORT>") for name, value in echoed.items()}
            seen = {"method": self.command, "path": self.path, "headers": echoed, "body": body}
            self.reply(201 if self.command == "POST" else 200, json.dumps(seen).encode(), "application/json",
                       [("x-backend", "echo"), ("set-cookie", "backend=1; Path=/")])

    def reply(self, status: int, body: bytes, content_type: str | None, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("content-type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def origin_of(case: Path) -> str | None:
    """The ``BACKEND_ORIGIN`` a case's ``.env`` names, if any."""
    env = case / ".env"
    found = re.search(r"^BACKEND_ORIGIN=(\S+)$", env.read_text(), re.M) if env.exists() else None
    return found[1] if found else None


@contextmanager
def serving(origin: str | None) -> Iterator[None]:
    """The echo server at ``origin`` (an http://127.0.0.1:PORT) while the block runs; nothing if it is None."""
    if origin is None:
        yield
        return
    server = ThreadingHTTPServer(("127.0.0.1", urlsplit(origin).port), _Echo)
    threading.Thread(target=server.serve_forever, name="backend", daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
