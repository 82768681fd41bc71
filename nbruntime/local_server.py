"""The app on a real port: ``App.serve()`` (``%nbruntime serve``) answers HTTP on ``127.0.0.1``.

Each request that arrives becomes an ``App.stream`` through the same pipeline as ``App.request``, and its
body goes out chunk by chunk as the handler produces it, so curl, a browser, ``fetch`` from another cell or
a load tool see what the notebook sees, and every answer lands in ``App.history``. The server is threads
of the kernel process and listens on the loopback address only: it goes away with the kernel, with
``App.close()`` or ``stop()``. (``nbruntime/server.py`` is another thing: the Jupyter server extension.)
"""

from __future__ import annotations

import errno
import re
import socket
import threading
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from .errors import RequestError
from .http import METHODS, Chunk

if TYPE_CHECKING:
    from .app import App

HOST = "127.0.0.1"
#: ``next start``'s port; when it is taken the next free one is used, as ``next dev`` does.
DEFAULT_PORT = 3000
PORTS_TRIED = 20
#: Framing is this server's business (Node's http server sets these itself), not the handler's.
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"}
_HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_NO_BODY = {HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED}


class LocalServer:
    """An app answering on ``http://127.0.0.1:PORT``; ``url`` is where, ``stop()`` ends it."""

    def __init__(self, app: App, port: int | None = None):
        self.app = app
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._http = _bind(port, self._handler_class())
        self.port: int = self._http.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"nbruntime-serve-{self.port}", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stops listening and closes every open connection (a response still streaming is cancelled)."""
        if not self.running:
            return
        self._http.shutdown()
        self._http.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __repr__(self) -> str:
        return f"<LocalServer {self.url} {'running' if self.running else 'stopped'}>"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(_Handler):
            local = server

        for method in METHODS:
            setattr(Handler, f"do_{method}", Handler.answer)
        return Handler


class _Listener(ThreadingHTTPServer):
    # The standard library's backlog of 5 resets connections when a load tool opens many at once; Node's is 511.
    request_queue_size = 511
    daemon_threads = True  # a connection left open never keeps the kernel from exiting


def _bind(port: int | None, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """The listening socket: exactly ``port`` (0: any free one), or 3000 and up when no port is given."""
    candidates = [port] if port is not None else range(DEFAULT_PORT, DEFAULT_PORT + PORTS_TRIED)
    for candidate in candidates:
        try:
            http = _Listener((HOST, candidate), handler)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            if port is not None:
                raise OSError(errno.EADDRINUSE, f"port {port} on {HOST} is in use: pick another "
                                                "(serve(port=0) takes any free one)") from None
            continue
        return http
    raise OSError(errno.EADDRINUSE, f"ports {DEFAULT_PORT}-{DEFAULT_PORT + PORTS_TRIED - 1} on {HOST} are all in use")


class _Handler(BaseHTTPRequestHandler):
    """One connection: HTTP/1.1 with keep-alive; each request answered through ``App.stream``."""

    protocol_version = "HTTP/1.1"
    local: LocalServer

    def setup(self) -> None:
        super().setup()
        with self.local._lock:
            self.local._connections.add(self.connection)

    def finish(self) -> None:
        with self.local._lock:
            self.local._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass  # the client went away first

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: in a kernel, stderr lands in whichever cell ran last. Requests are in ``App.history``."""

    def answer(self) -> None:
        app = self.local.app
        host = self.headers.get("host", "")
        origin = f"http://{host}" if _HOST_HEADER.fullmatch(host) else self.local.url
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
        try:
            body = self._read_body()
            stream = app.stream(self.command, self.path, headers, body or None, session=False, origin=origin)
        except (RequestError, ValueError) as error:
            self._plain(HTTPStatus.BAD_REQUEST, f"{error}\n")
            return
        try:
            with stream:
                self._send(stream)
        except OSError:  # the client hung up mid-response: leaving the block cancelled the request
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            pieces = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                pieces.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(pieces)
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _send(self, stream) -> None:
        response = stream.response
        if not response.headers and response.error:  # no head: a time limit or a crashed host
            self._plain(response.status, f"{response.error}\n")
            return
        pairs = [(k, v) for k, v in response.headers.multi_items() if k not in _HOP_BY_HOP]
        bodiless = self.command == "HEAD" or response.status in _NO_BODY or response.status < 200
        chunked = not bodiless and not any(k == "content-length" for k, _ in pairs)
        self.send_response_only(response.status)
        for name, value in pairs:
            self.send_header(name, value)
        if not any(k == "date" for k, _ in pairs):
            self.send_header("date", formatdate(usegmt=True))
        if chunked:
            self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        for event in stream.events():
            if isinstance(event, Chunk) and not bodiless and event.data:
                data = event.data
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        error = response.error
        if error is not None and (error.kind != "exception" or response.status < 500):
            self.close_connection = True  # cut off mid-body: the client must not take it for the whole answer
        elif chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _plain(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response_only(status)
        self.send_header("content-type", "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.send_header("date", formatdate(usegmt=True))
        self.end_headers()
        self.wfile.write(data)
