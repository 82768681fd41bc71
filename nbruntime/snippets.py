"""A request written out for elsewhere: curl, fetch(), a Python call, a ready-to-run pytest test or test file."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .http import Request, Response

if TYPE_CHECKING:
    from .app import App, Exchanged


def path_of(request: Request) -> str:
    parts = urlsplit(request.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _text_body(request: Request) -> str | None:
    if request.body is None:
        return None
    try:
        return request.body.decode()
    except UnicodeDecodeError:
        return None


def to_curl(request: Request) -> str:
    words = ["curl", "-i", "-X", request.method, request.url]
    for name, value in request.headers:
        words += ["-H", f"{name}: {value}"]
    if request.body is not None:
        text = _text_body(request)
        words += ["--data-binary", text if text is not None else "@body.bin"]
    return " ".join(shlex.quote(word) for word in words)


def to_fetch(request: Request) -> str:
    init: dict = {"method": request.method}
    if request.headers:
        init["headers"] = dict(request.headers)
    text = _text_body(request)
    if text is not None:
        init["body"] = text
    return f"await fetch({json.dumps(request.url)}, {json.dumps(init, indent=2)})"


def to_python(request: Request) -> str:
    args = [repr(request.method), repr(path_of(request))]
    if request.headers:
        args.append(f"headers={dict(request.headers)!r}")
    if request.body is not None:
        text = _text_body(request)
        args.append(f"body={text!r}" if text is not None else f"body={request.body!r}")
    return f"app.request({', '.join(args)})"


def to_test(request: Request, response: Response) -> str:
    """A pytest test that replays the request and pins down the answer it got."""
    name = "".join(c if c.isalnum() else "_" for c in f"{request.method}_{path_of(request)}".lower()).strip("_")
    lines = [f"def test_{name}(app):", f"    r = {to_python(request)}", f"    assert r.status == {response.status}"]
    if content_type := response.headers.get("content-type"):
        lines.append(f"    assert r.headers['content-type'] == {content_type!r}")
    if not response.chunks:
        lines.append("    assert r.body == b''")
    elif "json" in (content_type or ""):
        lines.append(f"    assert r.json() == {response.json()!r}")
    elif len(response.body) <= 2000:
        lines.append(f"    assert r.body == {response.body!r}")
    return "\n".join(lines) + "\n"


def to_test_module(app: App, exchanges: list[Exchanged]) -> str:
    """A pytest file that stands alone: an ``app`` fixture deploying the app's cells, one test per exchange."""
    lines = ['"""Requests sent to an nbruntime app, replayed with the answers they got (written by nbruntime)."""',
             "", "import pytest", "", "import nbruntime", "", "CELLS = ["]
    for deployment in app.deployments.values():
        lines.append(f"    ({deployment.path!r}, {deployment.source!r}, {deployment.runtime or None!r}),")
    lines += ["]", "", "", "@pytest.fixture", "def app():", f"    with nbruntime.App(next={app.next!r}) as app:",
              "        for path, source, runtime in CELLS:", "            app.deploy(path, source, runtime=runtime)",
              "        yield app", ""]
    seen: dict[str, int] = {}
    for exchange in exchanges:
        test = to_test(exchange.request, exchange.response)
        name = test.split("(", 1)[0]
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            test = test.replace(f"{name}(", f"{name}_{seen[name]}(", 1)
        lines += ["", test]
    return "\n".join(lines)
