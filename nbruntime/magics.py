"""The IPython surface: ``%%edge``, ``%%node``, ``%request`` and ``%nbruntime``. Thin on purpose."""

from __future__ import annotations

import shlex
import time

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from . import display as show
from .app import get_app
from .errors import BuildError, RequestError

#: Repaints of a streaming response per second, at most (every chunk is still shown).
REPAINTS_PER_SECOND = 30


def _parse(magic, line: str):
    """Arguments split the way a shell splits them, so quotes group words as in curl."""
    try:
        words = shlex.split(line)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return magic.parser.parse_args(words)


def _deploy(path: str, cell: str, runtime: str) -> None:
    try:
        deployment = get_app().deploy(path, cell, runtime=runtime)
    except BuildError as error:
        display(show.build_error_bundle(error), raw=True)
        return
    display(show.deployment_bundle(deployment), raw=True)


@magics_class
class NbruntimeMagics(Magics):
    @magic_arguments()
    @argument("path", help="the file's path in the app, e.g. app/api/hello/route.ts or middleware.ts")
    @cell_magic
    def edge(self, line: str, cell: str) -> None:
        """Deploy this cell to the Edge runtime at PATH."""
        _deploy(_parse(self.edge, line).path, cell, "edge")

    @magic_arguments()
    @argument("path", help="the file's path in the app, e.g. app/api/hello/route.ts or proxy.ts")
    @cell_magic
    def node(self, line: str, cell: str) -> None:
        """Deploy this cell to the Node.js runtime at PATH."""
        _deploy(_parse(self.node, line).path, cell, "nodejs")

    @magic_arguments()
    @argument("method", help="GET, POST, ...")
    @argument("url", help="a path such as /api/hello?x=1")
    @argument("-H", "--header", action="append", default=[], help="'Name: value' (repeatable)")
    @argument("-d", "--data", help="the request body")
    @argument("--json", help="a JSON body (sets content-type: application/json)")
    @argument("-b", "--cookie", action="append", default=[], help="'name=value; other=value' (repeatable)")
    @argument("--timeout", type=float, help="seconds to wait for the first byte")
    @line_magic
    def request(self, line: str) -> None:
        """Send a request through the app, curl style, and watch the response stream in."""
        args = _parse(self.request, line)
        try:
            headers = [_header(h) for h in args.header]
            if args.cookie:
                headers.append(("cookie", "; ".join(args.cookie)))
            json_body = None
            if args.json is not None:
                import json

                try:
                    json_body = json.loads(args.json)
                except ValueError as error:
                    raise RequestError("json", f"not valid JSON: {error}") from None
            stream = get_app().stream(
                args.method, args.url, headers=headers, body=args.data, json=json_body, timeout=args.timeout
            )
        except RequestError as error:
            display(show.bundle(f"<pre>{error}</pre>", str(error)), raw=True)
            return
        _watch(stream)

    @line_magic
    def nbruntime(self, line: str) -> None:
        """%nbruntime status | routes | restart | reset"""
        app = get_app()
        command = (shlex.split(line) or ["status"])[0]
        if command == "status":
            display(show.status_bundle(app), raw=True)
        elif command == "routes":
            display(show.routes_bundle(app), raw=True)
        elif command == "restart":
            app.restart()
            display(show.status_bundle(app), raw=True)
        elif command == "reset":
            app.reset()
            print("All deployments removed; the host will start again on first use.")
        else:
            print("usage: %nbruntime status | routes | restart | reset")


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep:
        raise RequestError("headers", f"{text!r} is not 'Name: value'")
    return name.strip(), value.strip()


def _watch(stream) -> None:
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


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(NbruntimeMagics)
