"""Jupyter server extension: the editor's live diagnostics for ``%%edge`` / ``%%node`` / ``%%compare`` cells.

The JupyterLab extension (``labextension/``) posts a cell's text to ``POST {base_url}/nbruntime/check`` and
draws what comes back. The answer is made by ``nbruntime.compat.check``, the analyzer the deploy runs, so a
squiggle and a failed deploy say the same words. It runs in the server, not the kernel, so diagnostics keep
coming while the kernel is busy or not started.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .errors import Problem
from .magics import NbruntimeMagics
from .npm import project_folder
from .packages import check
from .routes import normalize_path
from .segment import parse

#: The cell magics that deploy a cell, and the runtimes each deploys to (as ``App.deploy`` names them):
#: ``%%compare`` runs the cell under both, so it gets the problems of both.
MAGICS = {"edge": ("edge",), "node": ("nodejs",), "compare": ("edge", "nodejs")}
_MAGIC = re.compile(r"^%%(\w+)(?:\s+(.*))?$")
_WORD = re.compile(r"[\w$.]+")


def _utf16(text: str) -> int:
    """Length of ``text`` in UTF-16 code units: the unit of offsets in the browser's editor."""
    return len(text.encode("utf-16-le")) // 2


def _cell_path(magic: str, arguments: str) -> str:
    """The file the magic deploys to, read by the magic's own parser; ``cell.ts`` while it is not typed yet."""
    try:
        return normalize_path(getattr(NbruntimeMagics, magic).parser.parse_args(shlex.split(arguments)).path)
    except (UsageError, ValueError):
        return "cell.ts"


def _span(lines: list[str], problem: Problem) -> tuple[int, int, int]:
    """(line index, start, end) in characters of what to underline: the API's name at or after the column.

    Problems carry only where they start (e.g. at ``import`` for ``import fs from 'fs'``), so the name is
    looked for from there: a quoted module specifier first, then the bare name, else the word at the column.
    """
    index = (problem.line or 1) - 1
    text = lines[index] if index < len(lines) else ""
    # tree-sitter columns count UTF-8 bytes
    start = len(text.encode()[: max((problem.column or 1) - 1, 0)].decode(errors="ignore"))
    api = re.escape(problem.api or "")
    for pattern in (rf"(['\"`]){api}\1", rf"(?<![\w$]){api}(?![\w$])"):
        if api and (found := re.compile(pattern).search(text, start)):
            return index, found.start(), found.end()
    word = _WORD.match(text, start)
    end = word.end() if word else len(text)
    return index, start, max(end, start + 1) if start < len(text) else start


def _import_span(lines: list[str], problem: Problem) -> tuple[int, int, int]:
    """Where a problem inside an npm package shows in the cell: on the import of that package."""
    package = problem.file.rsplit("node_modules/", 1)[-1].split("/")
    name = "/".join(package[:2] if package[0].startswith("@") else package[:1])
    quoted = re.compile(rf"""(['"]){re.escape(name)}(/[^'"]*)?\1""")
    for index, text in enumerate(lines):
        if found := quoted.search(text):
            return index, found.start(), found.end()
    return 0, 0, len(lines[0]) if lines else 0


def diagnostics(cell: str, project: Path | None = None) -> dict[str, Any]:
    """What the editor shows for a cell: each problem with its place as offsets into the cell text.

    ``runtime`` is None for a cell that no magic deploys (``edge+nodejs`` for a comparison); ``incomplete``
    is true while the code does not parse yet, so the editor keeps what it shows rather than flicker. With
    ``project`` (the notebook's project folder) the cell's npm packages are checked too, as a deploy checks them.
    """
    first, _, body = cell.partition("\n")
    magic = _MAGIC.match(first.rstrip())
    runtimes = MAGICS.get(magic.group(1)) if magic else None
    if runtimes is None:
        return {"runtime": None, "path": None, "incomplete": False, "problems": []}
    path = _cell_path(magic.group(1), magic.group(2) or "")
    lines = body.split("\n")
    starts = [_utf16(first) + 1]
    for line in lines[:-1]:
        starts.append(starts[-1] + _utf16(line) + 1)
    found = []
    for problem in (p for runtime in runtimes for p in check(body, runtime=runtime, path=path, project=project)):
        index, start, end = _span(lines, problem) if problem.file == path else _import_span(lines, problem)
        line = lines[index] if index < len(lines) else ""
        offset = starts[index] if index < len(starts) else starts[-1]
        found.append({
            "from": offset + _utf16(line[:start]),
            "to": offset + _utf16(line[:end]),
            "line": problem.line,
            "column": problem.column,
            "api": problem.api,
            "rule": problem.name,
            "runtime": problem.runtime,
            "severity": problem.severity,
            "phase": problem.phase,
            "message": problem.message,
            "hint": problem.hint,
            "dev": problem.dev,
            "text": str(problem),
        })
    return {"runtime": "+".join(runtimes), "path": path, "incomplete": parse(body, path).has_error, "problems": found}


class CheckHandler(APIHandler):
    """``POST {"source": cell text, "notebook": its path (optional)}`` → ``diagnostics(source)`` as JSON.

    Packages are looked for from the notebook's project folder (from the server's root without a path).
    """

    @web.authenticated
    def post(self) -> None:
        body = self.get_json_body()  # a 400 of its own for text that is not JSON
        source = body.get("source") if isinstance(body, dict) else None
        if not isinstance(source, str):
            raise web.HTTPError(400, 'expected a JSON body {"source": "<the cell text>"}')
        root = Path(self.settings.get("server_root_dir") or ".").expanduser().resolve()
        notebook = (root / str(body.get("notebook") or "")).resolve()
        folder = notebook.parent if notebook.suffix else notebook
        if not folder.is_relative_to(root):
            raise web.HTTPError(400, "the notebook path is outside the server's root")
        self.finish(json.dumps(diagnostics(source, project_folder(folder))))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbruntime.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Adds the route; enabled by ``jupyter_server_config.d/nbruntime.json``, which the wheel installs."""
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], "nbruntime", "check")
    web_app.add_handlers(".*$", [(route, CheckHandler)])
