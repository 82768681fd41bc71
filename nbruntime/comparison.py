"""One cell under both runtimes, side by side: does this code behave the same on Edge and on Node.js?

``compare()`` deploys the cell as ``edge`` in one fresh app and as ``nodejs`` in another (with the same other
cells), sends both the same requests, and reports what differs and why — a failed build, a status, a header,
the body, the way it streams. It is the migration question Next.js 16 asks of every Edge middleware.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from .app import App, Deployment
from .build import RouteBuild
from .display import problems_html, table
from .errors import BuildError, Problem
from .http import Response
from .routes import file_kind, route_for

_WEIGHT = {"build": 0, "isr": 1, "error": 2, "status": 3, "body": 4, "header": 5, "chunks": 6, "resolution": 7}
#: Differences Next.js itself makes between the runtimes, and why.
EXPLAINED = {
    "header vary": "Next.js adds the RSC `vary` values to Node.js route responses, not to edge ones",
    "isr": "the Node.js runtime supports Incremental Static Regeneration; the Edge runtime does not",
}
#: Why a package resolves to another file on each runtime.
RESOLUTION_NOTE = ("edge code resolves package exports with the conditions edge-light, browser, import, module, ...; "
                   "Node.js code with node, import, module, ...")
RequestSpec = str | tuple[str, str] | dict[str, Any]
#: Headers whose values differ between runs whatever the runtime (they would drown the real differences).
VOLATILE_HEADERS = {"date", "x-nextjs-date", "etag"}


@dataclass
class Side:
    """What one runtime made of the cell: its build verdict, its problems, and its answers."""

    runtime: str
    build_error: BuildError | None = None
    deployment: Deployment | None = None
    build: RouteBuild | None = None  # what the build made of the route: prerendered or dynamic
    responses: list[Response] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        if self.build_error:
            return self.build_error.problems
        return self.deployment.problems if self.deployment else []

    def verdict(self, index: int) -> str:
        if self.build_error:
            first = self.build_error.problems[0]
            return f"fails at build: {first.api or first.name} ({first.file}:{first.line or '?'})"
        response = self.responses[index]
        if response.error:
            return f"{response.status}, {response.error.name}: {response.error.message.splitlines()[0]}"
        return str(response.status)


@dataclass(frozen=True)
class Difference:
    request: str
    what: str  # "build", "status", "header x", "body", "chunks", "error"
    edge: str
    node: str


@dataclass
class Comparison:
    """The structured diff of one cell under Edge and under Node.js."""

    path: str
    requests: list[str]
    edge: Side
    node: Side
    differences: list[Difference]
    notes: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences

    @property
    def summary(self) -> str:
        """One line: "identical", or the weightiest difference (build, error, status, body, headers, chunks)."""
        if self.identical:
            return f"identical: {self.path} answers {len(self.requests)} request(s) the same on edge and nodejs"
        first = min(self.differences, key=lambda d: _WEIGHT.get(d.what.split()[0], len(_WEIGHT)))
        more = len(self.differences) - 1
        why = f" ({EXPLAINED[first.what]})" if first.what in EXPLAINED else ""
        why = f" ({RESOLUTION_NOTE})" if first.what.startswith("resolution") else why
        return (f"differs: {first.request} {first.what}: edge {_short(first.edge)}; node {_short(first.node)}{why}"
                + (f" (+{more} more)" if more else ""))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return comparison_bundle(self)


def _parse_request(spec: RequestSpec) -> dict[str, Any]:
    if isinstance(spec, dict):
        return {"method": "GET", **spec}
    if isinstance(spec, tuple):
        return {"method": spec[0], "url": spec[1]}
    method, _, url = spec.strip().partition(" ")
    return {"method": method, "url": url.strip()} if url else {"method": "GET", "url": method}


def _label(request: dict[str, Any]) -> str:
    return f"{request['method'].upper()} {request['url']}"


def _run_side(runtime: str, path: str, source: str, others: dict[str, tuple[str, str]],
              requests: list[dict[str, Any]], next_version: str, packages_dir: Any) -> Side:
    side = Side(runtime)
    with App(next=next_version, packages_dir=packages_dir) as app:
        for other_path, (other_source, other_runtime) in others.items():
            app.deploy(other_path, other_source, runtime=other_runtime or None)  # a data file has no runtime
        try:
            side.deployment = app.deploy(path, source, runtime=runtime)
        except BuildError as error:
            side.build_error = error
            return side
        side.build = next((r for r in app.route_table().routes if r.file == path), None)
        side.responses = [app.request(**request) for request in requests]
    return side


def _short(text: str, limit: int = 90) -> str:
    line = text.splitlines()[0] if text else text
    return line if len(line) <= limit else line[:limit] + "…"


def _body(response: Response) -> str:
    text = response.body.decode("utf-8", "replace")
    return text if len(text) <= 200 else text[:200] + "…"


def _differences(label: str, edge: Response, node: Response) -> list[Difference]:
    found = []
    if edge.status != node.status:
        found.append(Difference(label, "status", str(edge.status), str(node.status)))
    if (edge.error is None) != (node.error is None) or (edge.error and node.error and
                                                        edge.error.message != node.error.message):
        found.append(Difference(label, "error", str(edge.error or "none"), str(node.error or "none")))
    edge_headers = {k: edge.headers.get_list(k) for k in edge.headers if k not in VOLATILE_HEADERS}
    node_headers = {k: node.headers.get_list(k) for k in node.headers if k not in VOLATILE_HEADERS}
    for name in sorted(set(edge_headers) | set(node_headers)):
        if edge_headers.get(name) != node_headers.get(name):
            found.append(Difference(label, f"header {name}", ", ".join(edge_headers.get(name, ["(absent)"])),
                                    ", ".join(node_headers.get(name, ["(absent)"]))))
    if edge.body != node.body:
        found.append(Difference(label, "body", _body(edge), _body(node)))
    elif len(edge.chunks) != len(node.chunks):
        found.append(Difference(label, "chunks", f"{len(edge.chunks)} chunks", f"{len(node.chunks)} chunks"))
    return found


def migration_notes(path: str, next_version: str) -> list[str]:
    """What changes for this file when it moves to Node.js in Next.js 16."""
    name = path.rsplit("/", 1)[-1].split(".")[0]
    if name != "middleware":
        return []
    notes = ["Next.js 16 deprecates middleware.ts: rename it proxy.ts and its `middleware` export `proxy` "
             "(codemod: npx @next/codemod@canary middleware-to-proxy). A proxy always runs on Node.js, and a "
             "`runtime` in its config is a build error."]
    if next_version != "16":
        notes.append("Compare with App(next='16') to see the Next 16 behaviour (relative redirect locations, "
                     "a plain-text 500 when the proxy throws).")
    return notes


def compare(
    path: str,
    source: str,
    requests: Iterable[RequestSpec] = (),
    *,
    app: App | None = None,
    next: str | None = None,
) -> Comparison:
    """Deploys ``source`` at ``path`` under edge and under nodejs and sends both the same requests.

    ``requests`` are ``"GET /path"`` strings, ``(method, url)`` tuples or ``App.request`` keyword dicts;
    the other cells of ``app`` (if given) are deployed beside it in both, with their own runtimes.
    """
    next_version = next or (app.next if app else "15")
    others = {p: (d.source, d.runtime) for p, d in (app.deployments.items() if app else []) if p != path}
    specs: Sequence[dict[str, Any]] = [_parse_request(r) for r in requests]
    if not specs:
        specs = [{"method": "GET", "url": _default_url(path)}]
    packages_dir = app.packages_dir if app else None  # both sides import the app's packages
    edge = _run_side("edge", path, source, others, list(specs), next_version, packages_dir)
    node = _run_side("nodejs", path, source, others, list(specs), next_version, packages_dir)
    labels = [_label(r) for r in specs]
    differences: list[Difference] = []
    if (edge.build_error is None) != (node.build_error is None):
        differences.append(Difference("deploy", "build", _build_verdict(edge), _build_verdict(node)))
    if node.build and node.build.kind != "dynamic":
        differences.append(Difference("deploy", "isr", "rendered for every request", _prerendered(node.build)))
    if edge.deployment and node.deployment:  # each runtime resolves a package with its own conditions
        for specifier in sorted(set(edge.deployment.resolved) & set(node.deployment.resolved)):
            edge_file, node_file = edge.deployment.resolved[specifier], node.deployment.resolved[specifier]
            if edge_file != node_file:
                differences.append(Difference("deploy", f"resolution {specifier}", edge_file, node_file))
    if edge.responses and node.responses:
        for label, a, b in zip(labels, edge.responses, node.responses, strict=True):
            differences += _differences(label, a, b)
    return Comparison(path, labels, edge, node, differences, migration_notes(path, next_version))


def _build_verdict(side: Side) -> str:
    if side.build_error is None:
        statuses = ", ".join(str(r.status) for r in side.responses)
        return f"builds; answers {statuses}" if statuses else "builds"
    problems = side.build_error.problems
    apis = ", ".join(dict.fromkeys(f"`{p.api or p.name}`" for p in problems))
    where = f"{problems[0].file}:{problems[0].line}" if problems[0].line else problems[0].file
    return f"fails at build: {apis} ({where})"


def _prerendered(build: RouteBuild) -> str:
    revalidate = "never revalidated" if build.revalidate is False else f"revalidated every {build.revalidate:g} s"
    return f"prerendered at build ({build.symbol} {', '.join(build.paths)}), served from the cache, {revalidate}"


def _default_url(path: str) -> str:
    return route_for(path).pattern if file_kind(path) == "route" else "/"


def comparison_bundle(comparison: Comparison) -> dict[str, str]:
    """Side by side: per request, what each runtime answered, then every difference with both values."""
    sides = (comparison.edge, comparison.node)
    text = [f"{comparison.path}: edge vs nodejs", comparison.summary]
    rows = []
    for index, label in enumerate(comparison.requests):
        verdicts = [s.verdict(index) if s.build_error or index < len(s.responses) else "" for s in sides]
        timings = [f"{s.responses[index].elapsed_ms or 0:.1f} ms" if index < len(s.responses) else "" for s in sides]
        rows.append((label, *verdicts, *timings))
        text.append(f"  {label}: edge {verdicts[0]} ({timings[0]}) | node {verdicts[1]} ({timings[1]})")
    text += [f"  ≠ {d.request} {d.what}: edge {d.edge!r} / node {d.node!r}" for d in comparison.differences]
    for side in sides:
        text += [f"  {side.runtime} problem: {p}" for p in side.problems]
    text += [f"  note: {note}" for note in comparison.notes]

    colour = "#2e7d32" if comparison.identical else "var(--jp-error-color1,#c62828)"
    icon = "✔" if comparison.identical else "≠"
    diffs = [(d.request, d.what, d.edge, d.node) for d in comparison.differences]
    problems = [p for side in sides for p in side.problems]
    html = (f"<div class='nbruntime-compare'><div style='color:{colour};font-weight:bold;margin:2px 0'>"
            f"{icon} {escape(comparison.summary)}</div>"
            + table(rows, "nbruntime-compare-answers", ("request", "edge", "nodejs", "edge time", "node time"))
            + (table(diffs, "nbruntime-compare-differences", ("request", "what", "edge", "nodejs")) if diffs else "")
            + (problems_html(problems, "Problems found before running") if problems else "")
            + "".join(f"<div style='margin:3px 0'>ⓘ {escape(n)}</div>" for n in comparison.notes) + "</div>")
    return {"text/html": html, "text/plain": "\n".join(text)}
