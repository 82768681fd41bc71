"""The app's build, as ``next build`` decides it: which route handlers are prerendered, and with what.

Next.js 15.5 prerenders a route's GET when its segment config asks for static generation
(``dynamic = 'force-static' | 'error'``, ``revalidate`` false or > 0, or ``generateStaticParams``), the route
runs on Node.js, exports no other method, and the GET does not read request data (which makes it dynamic
after all). The GET then runs in the build's own process (here: a worker of its own), and ``next start``
serves the copies from its cache. Python plans the jobs and keeps the results; the host runs them.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import Problem
from .segment import segment_config

if TYPE_CHECKING:
    from .app import Deployment

#: Methods that keep a route from being prerendered (Next's hasNonStaticMethods).
NON_STATIC_METHODS = ("POST", "PUT", "DELETE", "PATCH", "OPTIONS")
_SYMBOLS = {"static": "○", "ssg": "●", "dynamic": "ƒ"}
_LEGEND = {
    "○": "(Static)   prerendered as static content",
    "●": "(SSG)      prerendered as static HTML (uses generateStaticParams)",
    "ƒ": "(Dynamic)  server-rendered on demand",
}


@dataclass
class RouteBuild:
    """What the build made of one route: ○ static, ● prerendered per param, or ƒ dynamic (and why)."""

    file: str
    pattern: str
    kind: str  # "static" | "ssg" | "dynamic"
    reason: str = ""  # why it is dynamic
    revalidate: float | bool | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)  # the prerendered copies, as the host keeps them

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self.kind]

    @property
    def paths(self) -> list[str]:
        return [entry["pathname"] for entry in self.entries]

    def body(self, pathname: str | None = None) -> bytes:
        """The prerendered body of a path (the route's own by default)."""
        entry = next(e for e in self.entries if pathname in (None, e["pathname"]))
        return base64.b64decode(entry["body"])


def job_for(deployment: Deployment) -> tuple[dict[str, Any] | None, str]:
    """The prerender job ``next build`` would run for a route, or ``None`` and why it is dynamic."""
    config = segment_config(deployment.source, deployment.path)
    route = deployment.route
    if deployment.runtime == "edge":
        return None, "edge runtime: never prerendered"
    if config.dynamic == "force-dynamic":
        return None, "dynamic = 'force-dynamic'"
    # A metadata file's route is static unless its config or its GET says otherwise (tests/conformance/metadata-routes).
    if route.metadata and config.revalidate == 0:
        return None, "revalidate = 0"
    if not (config.static_generation or route.metadata):
        return None, "dynamic by default (no force-static, revalidate or generateStaticParams)"
    if others := [m for m in NON_STATIC_METHODS if m in deployment.exports]:
        return None, f"exports {', '.join(others)}, which cannot be prerendered"
    # generateSitemaps lists a sitemap's ids: the build prerenders one per id, as for generateStaticParams
    static_params = config.generate_static_params or (route.metadata == "sitemap" and config.generate_sitemaps)
    if route.params and not static_params:
        return None, "dynamic segments without generateStaticParams"
    job = {
        "file": deployment.path,
        "pattern": route.pattern,
        "dynamic": config.dynamic,
        "revalidate": config.revalidate,
        "generateStaticParams": static_params,
        "metadata": route.metadata,
    }
    return job, ""


def plan_of(build: RouteBuild, deployment: Deployment) -> dict[str, Any]:
    """How the host serves a prerendered route."""
    config = segment_config(deployment.source, deployment.path)
    return {
        "file": build.file,
        "pattern": build.pattern,
        "dynamic": config.dynamic,
        "revalidate": config.revalidate,
        "dynamicParams": config.dynamic_params,
        "params": [name for name, _ in deployment.route.params],
        "paths": build.paths,
    }


_USED = re.compile(r"couldn't be rendered statically because it used (.+?)\. See more info")


def result_of(result: dict[str, Any], job: dict[str, Any]) -> RouteBuild:
    kind = result.get("kind", "dynamic")
    reason = result.get("reason", "")
    if used := _USED.search(reason):
        reason = f"its GET used {used.group(1)}"
    entries = result.get("entries") or []
    if kind == "static" and job["generateStaticParams"]:
        kind = "ssg"
    revalidate = entries[0]["revalidate"] if entries else None
    return RouteBuild(job["file"], job["pattern"], kind, reason, revalidate, entries)


def prerender_problem(file: str, pattern: str, error: dict[str, Any]) -> Problem:
    """A prerender that threw: the build fails, as ``next build`` fails, naming the route."""
    message = (
        f'Error occurred prerendering page "{pattern}". Read more: https://nextjs.org/docs/messages/prerender-error\n'
        f"{error.get('name', 'Error')}: {error.get('message', '')}"
    )
    return Problem(file, message, name="PrerenderError")


def _duration(seconds: float | bool | None) -> str:
    if seconds is None or seconds is False:
        return ""
    for unit, size in (("y", 31_536_000), ("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@dataclass
class Build:
    """The app's route table, as ``next build`` prints it (``App.build()``, ``%nbruntime build``)."""

    routes: list[RouteBuild]
    warnings: list[str] = field(default_factory=list)
    middleware: str | None = None

    def lines(self) -> list[str]:
        rows = []
        for route in sorted(self.routes, key=lambda r: r.pattern):
            revalidate = _duration(route.revalidate)
            expire = "1y" if revalidate else ""
            rows.append((f"{route.symbol} {route.pattern}", revalidate, expire, route.reason))
            if route.kind == "ssg":
                rows += [(f"  ├ {path}", "", "", "") for path in route.paths]
        if self.middleware:
            rows.append(("ƒ Middleware", "", "", self.middleware))
        width = max([len("Route (app)"), *(len(row[0]) for row in rows)])
        out = [f"{'Route (app)':<{width}}  Revalidate  Expire"]
        out += [f"{a:<{width}}  {b:>10}  {c:>6}  {d}".rstrip() for a, b, c, d in rows]
        used = {route.symbol for route in self.routes} | ({"ƒ"} if self.middleware else set())
        out += [""] + [f"{symbol}  {text}" for symbol, text in _LEGEND.items() if symbol in used]
        return [*(f"⚠ {w}" for w in self.warnings), *out]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import build_bundle

        return build_bundle(self)
