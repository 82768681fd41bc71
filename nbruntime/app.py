"""The simulated Next.js app: deployed cells, their routes, and the entry point for requests."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BuildError, HandlerError, HostError, Problem, code_frame
from .exchange import CANCEL, HEAD, KILL, Exchange, Wait
from .host import AsyncInbox, Host, SyncInbox
from .http import Chunk, HeaderInput, LogLine, Request, Response
from .routes import Route, file_kind, normalize_path, route_for, route_table
from .segment import declared_runtime

RUNTIMES = ("edge", "nodejs")
_FRAME = re.compile(r"\(?([\w@\[\]().\-/]+\.(?:ts|tsx|js|jsx|mjs|mts)):(\d+):(\d+)\)?$")


@dataclass
class Deployment:
    """A cell deployed at a path of the app."""

    path: str
    source: str
    runtime: str
    kind: str  # "route" | "middleware" | "proxy" | "module"
    exports: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    route: Route | None = None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import deployment_bundle

        return deployment_bundle(self)


def default_runtime(kind: str, declared: str | None, next_version: str) -> str:
    """The runtime Next.js gives a file: proxy is Node-only; middleware defaults to edge, routes to nodejs."""
    if kind == "proxy":
        return "nodejs"
    if declared in RUNTIMES:
        return declared
    return "edge" if kind == "middleware" else "nodejs"


class App:
    """A Next.js app in a notebook: deploy cells at paths, then send it requests.

    One Node.js host process serves the app; it starts on first use and is restarted (with every cell
    redeployed) if it dies. Requests use ``origin`` as their URL origin, like ``next start`` does.
    """

    def __init__(
        self,
        *,
        origin: str = "http://localhost:3000",
        project_dir: str | os.PathLike | None = None,
        timeout: float = 25.0,
        stream_timeout: float = 300.0,
        next: str = "15",
        env: dict[str, str] | None = None,
    ):
        self.origin = origin.rstrip("/")
        self.timeout, self.stream_timeout = timeout, stream_timeout
        self.next = str(next)
        self.env = dict(os.environ if env is None else env)
        self._own_dir = project_dir is None
        self.project_dir = Path(tempfile.mkdtemp(prefix="nbruntime-app-") if project_dir is None else project_dir)
        self.project_dir.mkdir(parents=True, exist_ok=True)
        self.deployments: dict[str, Deployment] = {}
        self.restarts = 0
        self._host: Host | None = None
        self._lock = threading.RLock()
        _live_apps.add(self)

    # -- deploying ---------------------------------------------------------------------------

    def deploy(self, path: str, source: str, runtime: str | None = None) -> Deployment:
        """Deploys ``source`` at ``path`` (e.g. ``app/api/x/route.ts``); raises BuildError if Next would reject it."""
        try:
            path = normalize_path(path)
        except ValueError as error:
            raise BuildError([Problem(str(path), str(error), name="InvalidPath")]) from None
        if not isinstance(source, str):
            raise BuildError([Problem(path, f"source must be text, got {type(source).__name__}", name="InvalidSource")])
        if runtime is not None and runtime not in RUNTIMES:
            raise BuildError(
                [Problem(path, f"runtime must be 'edge' or 'nodejs', not {runtime!r}", name="InvalidRuntime")]
            )
        kind = file_kind(path)
        runtime = runtime or default_runtime(kind, declared_runtime(source, path), self.next)
        deployment = Deployment(path, source, runtime, kind)
        if kind == "route":
            deployment.route = route_for(path)
            others = [d.path for d in self.deployments.values() if d.route and d.path != path]
            _, conflicts = route_table([*others, path])
            if conflicts:
                raise BuildError(conflicts)
        with self._lock:
            host = self._ensure_host()
            self._deploy_on(host, deployment)
            self.deployments[path] = deployment
            self._write_file(deployment)
            self._send_routes(host)
        return deployment

    def undeploy(self, path: str) -> None:
        """Removes a deployed cell (and its file in the project folder)."""
        path = normalize_path(path)
        with self._lock:
            if self.deployments.pop(path, None) is None:
                raise KeyError(path)
            (self.project_dir / path).unlink(missing_ok=True)
            if self._host and self._host.alive:
                self._host.call("undeploy", file=path)
                self._send_routes(self._host)

    def _deploy_on(self, host: Host, deployment: Deployment) -> None:
        reply = host.call(
            "deploy",
            file=deployment.path,
            source=deployment.source,
            runtime=deployment.runtime,
            entry=deployment.kind != "module",
        )
        if not reply["ok"]:
            raise BuildError([self._problem(deployment, reply["error"])])
        deployment.exports = reply.get("exports", [])

    def _problem(self, deployment: Deployment, error: dict) -> Problem:
        file, line, column = error.get("file") or deployment.path, error.get("line"), error.get("column")
        if line is None:  # an error while evaluating the module: its stack says where
            file, line, column = _first_user_frame(error.get("stack", ""), self.deployments, deployment)
        source = deployment.source if file == deployment.path else self.deployments[file].source
        return Problem(
            file, error["message"], line, column, error.get("name", "Error"), code_frame(source, line, column)
        )

    def _send_routes(self, host: Host) -> None:
        routes, _ = route_table([d.path for d in self.deployments.values() if d.route])
        host.call("routes", routes=[r.as_message() for r in routes])

    def _write_file(self, deployment: Deployment) -> None:
        target = self.project_dir / deployment.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(deployment.source)

    @property
    def routes(self) -> list[Route]:
        """The app's routes in the order Next.js tries them."""
        return route_table([d.path for d in self.deployments.values() if d.route])[0]

    # -- the host ----------------------------------------------------------------------------

    def _ensure_host(self) -> Host:
        with self._lock:
            if self._host is not None and self._host.alive:
                return self._host
            crashed = self._host is not None
            host = Host(self.project_dir, self.env)
            host.start()
            for deployment in self.deployments.values():
                try:
                    self._deploy_on(host, deployment)
                except BuildError:
                    pass  # it deployed before; the request that reaches it will show the error
            self._send_routes(host)
            self._host = host
            self.restarts += crashed
            return host

    @property
    def host_pid(self) -> int | None:
        return self._host.pid if self._host and self._host.alive else None

    def restart(self) -> None:
        """Starts a fresh Node.js host with every cell redeployed (module state is reset)."""
        with self._lock:
            if self._host:
                self._host.close()
            self._ensure_host()

    def reset(self) -> None:
        """Forgets every deployment and stops the host."""
        with self._lock:
            for path in list(self.deployments):
                (self.project_dir / path).unlink(missing_ok=True)
            self.deployments.clear()
            if self._host:
                self._host.close()
                self._host = None

    def close(self) -> None:
        """Stops the host and removes the project folder if the app created it."""
        with self._lock:
            if self._host:
                self._host.close()
                self._host = None
            if self._own_dir:
                shutil.rmtree(self.project_dir, ignore_errors=True)
        _live_apps.discard(self)

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------------------

    def stream(
        self,
        method: str,
        url: str,
        headers: HeaderInput = None,
        body: bytes | str | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> Stream:
        """A request whose body you read chunk by chunk as it is produced (``with`` or ``async with``)."""
        request = Request.build(method, url, self.origin, headers, body, json)
        return Stream(self, request, self.timeout if timeout is None else timeout)

    def request(
        self,
        method: str,
        url: str,
        headers: HeaderInput = None,
        body: bytes | str | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> Response:
        """Sends a request through the app and returns the whole response."""
        with self.stream(method, url, headers, body, json, timeout) as stream:
            for _ in stream:
                pass
        return stream.response

    async def arequest(
        self,
        method: str,
        url: str,
        headers: HeaderInput = None,
        body: bytes | str | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> Response:
        """The async form of :meth:`request`."""
        async with self.stream(method, url, headers, body, json, timeout) as stream:
            async for _ in stream:
                pass
        return stream.response

    def _exchange(self, request: Request, timeout: float) -> Exchange:
        return Exchange(request, timeout, self.stream_timeout, self._describe_error, self._crash_reason)

    def _request_message(self, request: Request) -> dict:
        return {
            "op": "request",
            "method": request.method,
            "url": request.url,
            "headers": request.headers,
            "body": request.body is not None,
        }

    def _describe_error(self, error: dict, kind: str) -> HandlerError:
        stack = _user_stack(error.get("stack", ""))
        file, line, column = _first_user_frame(stack, self.deployments, None)
        frame = code_frame(self.deployments[file].source, line, column) if file in self.deployments else ""
        return HandlerError(
            kind, error.get("name", "Error"), error.get("message", ""), stack, file, line, column, frame
        )

    def _crash_reason(self) -> str:
        host = self._host
        reason = host.death_reason() if host else "the host is not running"
        if host and host.exiting and host.exiting.get("stack"):
            file, line, _ = _first_user_frame(host.exiting["stack"], self.deployments, None)
            if file:
                reason += f" (at {file}:{line})"
        return reason


class Stream:
    """A request in flight: iterate it for body chunks as they arrive; ``.response`` fills up as you go."""

    def __init__(self, app: App, request: Request, timeout: float):
        self.app, self.request, self.timeout = app, request, timeout
        self.exchange: Exchange | None = None
        self._host: Host | None = None
        self._id: int | None = None
        self._events: Iterator | None = None
        self._async_events: AsyncIterator | None = None
        self._early: list = []

    @property
    def response(self) -> Response:
        return self.exchange.response

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def headers(self):
        return self.response.headers

    def _start(self, inbox: SyncInbox | AsyncInbox) -> None:
        self.exchange = self.app._exchange(self.request, self.timeout)
        try:
            self._host = self.app._ensure_host()
        except HostError as error:
            self.exchange._fail(HandlerError("crash", "HostError", str(error)))
            return
        self._id = self._host.open(inbox, self.app._request_message(self.request), self.request.body or b"")

    def cancel(self) -> None:
        """Stops the request; the response ends with an AbortError."""
        if self.exchange and not self.exchange.finished:
            self.exchange.cancel()
            self._host.send({"op": "cancel", "id": self._id})

    def _act(self, action: object) -> object | None:
        """Carries out a non-waiting action; returns an event for the caller, if it is one."""
        if action is CANCEL:
            self._host.send({"op": "cancel", "id": self._id})
        elif action is KILL:
            self._host.kill()
        else:
            return action
        return None

    def _after(self) -> None:
        if self.exchange.response.error and self.exchange.response.error.kind in ("crash", "timeout"):
            if self._host and not self._host.alive:
                try:
                    self.app._ensure_host()  # back up before the user reads the error
                except HostError:
                    pass

    # synchronous use

    def __enter__(self) -> Stream:
        inbox = SyncInbox()
        self._start(inbox)
        self._early = []
        self._events = self._drive(inbox)
        for event in self._events:  # wait for the head
            if event is HEAD:
                break
            self._early.append(event)
        return self

    def _drive(self, inbox: SyncInbox) -> Iterator:
        if self.exchange.finished:
            return
        conversation = self.exchange.run()
        received = None
        while True:
            try:
                action = conversation.send(received)
            except StopIteration:
                self._after()
                return
            received = inbox.get(action.timeout) if isinstance(action, Wait) else None
            if not isinstance(action, Wait) and (event := self._act(action)) is not None:
                yield event

    def events(self) -> Iterator[Chunk | LogLine]:
        """Chunks and console lines, in the order they arrived."""
        yield from (e for e in self._early if e is not HEAD)
        self._early = []
        yield from (e for e in self._events if e is not HEAD)

    def __iter__(self) -> Iterator[Chunk]:
        return (e for e in self.events() if isinstance(e, Chunk))

    def __exit__(self, *exc: object) -> None:
        if not self.exchange.finished:
            self.cancel()
            for _ in self._events:
                pass

    # asynchronous use

    async def __aenter__(self) -> Stream:
        inbox = AsyncInbox()
        self._start(inbox)
        self._early = []
        self._async_events = self._adrive(inbox)
        async for event in self._async_events:
            if event is HEAD:
                break
            self._early.append(event)
        return self

    async def _adrive(self, inbox: AsyncInbox) -> AsyncIterator:
        if self.exchange.finished:
            return
        conversation = self.exchange.run()
        received = None
        while True:
            try:
                action = conversation.send(received)
            except StopIteration:
                self._after()
                return
            received = await inbox.get(action.timeout) if isinstance(action, Wait) else None
            if not isinstance(action, Wait) and (event := self._act(action)) is not None:
                yield event

    async def aevents(self) -> AsyncIterator[Chunk | LogLine]:
        """Chunks and console lines, in the order they arrived."""
        for event in self._early:
            yield event
        self._early = []
        async for event in self._async_events:
            if event is not HEAD:
                yield event

    async def __aiter__(self) -> AsyncIterator[Chunk]:
        async for event in self.aevents():
            if isinstance(event, Chunk):
                yield event

    async def __aexit__(self, *exc: object) -> None:
        if not self.exchange.finished:
            self.cancel()
            async for _ in self._async_events:
                pass


def _user_stack(stack: str) -> str:
    """The error's stack without the host's own frames."""
    lines = stack.splitlines()
    return "\n".join(
        line
        for line in lines
        if not line.strip().startswith("at ") or ("nbruntime/js/" not in line and "node:internal" not in line)
    )


def _first_user_frame(stack: str, deployments: dict[str, Deployment], extra: Deployment | None):
    for line in stack.splitlines():
        match = _FRAME.search(line.strip())
        if match and (match.group(1) in deployments or (extra and match.group(1) == extra.path)):
            return match.group(1), int(match.group(2)), int(match.group(3))
    return None, None, None


_live_apps: weakref.WeakSet[App] = weakref.WeakSet()
atexit.register(lambda: [app.close() for app in list(_live_apps)])

_shared_app: App | None = None


def get_app() -> App:
    """The app the magics of this kernel deploy to and send requests through."""
    global _shared_app
    if _shared_app is None:
        _shared_app = App()
    return _shared_app
