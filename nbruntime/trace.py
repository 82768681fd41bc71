"""The path a request took through the app (middleware, rewrites, route) and how long each step took.

Node reports the facts with the end of the response; the one-line verdict is worded here, in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Step:
    """One timed step: ``middleware``, ``route``, ``body`` (streaming the response) or ``after``."""

    name: str
    start_ms: float
    end_ms: float

    @property
    def ms(self) -> float:
        return round(self.end_ms - self.start_ms, 3)


@dataclass(frozen=True)
class Trace:
    """What happened to one request, as data: see :attr:`verdict` for the short form."""

    #: route, not-found, redirect, trailing-slash, middleware-response, middleware-error, route-error, external-rewrite
    outcome: str
    status: int
    middleware: dict[str, Any] | None = None  # file, kind, runtime, matched, reason, decision
    rewrite: dict[str, Any] | None = None  # from, to, external
    route: dict[str, Any] | None = None
    steps: list[Step] = field(default_factory=list)
    next: str = "15"
    #: the npm packages bundled into the entries that ran: file → {package: version}
    packages: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_message(cls, data: dict) -> Trace:
        return cls(
            outcome=data.get("outcome") or "unknown",
            status=data.get("status") or 0,
            middleware=data.get("middleware"),
            rewrite=data.get("rewrite"),
            route=data.get("route"),
            steps=[Step(s["name"], s["start_ms"], s["end_ms"]) for s in data.get("steps", [])],
            next=data.get("next", "15"),
        )

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    @property
    def verdict(self) -> str:
        """E.g. ``middleware matched → redirect 307 → /login`` or ``no middleware → GET app/x/route.ts → 200``.

        Middleware runs once per request: a same-origin rewrite is served by the route at the new path.
        """
        if self.outcome == "trailing-slash":
            return f"trailing slash → redirect {self.status} (before middleware)"
        mw = self.middleware
        if mw is None:
            parts = ["no middleware"]
        elif not mw["matched"]:
            parts = [f"{mw['kind']} skipped ({mw['reason']})"]
        else:
            parts = [f"{mw['kind']} matched"]
            decision = mw.get("decision") or {}
            kind = decision.get("kind")
            if kind == "redirect":
                return " → ".join([*parts, f"redirect {decision['status']}", self._location(decision["to"])])
            if kind == "respond":
                return " → ".join([*parts, f"responded {decision['status']}"])
            if kind == "error":
                return " → ".join([*parts, "threw", str(self.status)])
            if kind == "rewrite" and self.rewrite:
                external = " (external, not fetched)" if self.rewrite["external"] else ""
                parts.append(f"rewrite → {self.rewrite['to']}{external}")
            elif kind == "next":
                parts.append("next")
        if self.outcome == "external-rewrite":
            return " → ".join(parts)
        if self.route:
            params = f" {self.route['params']}" if self.route.get("params") else ""
            parts.append(f"{self.route['handler']} {self.route['file']}{params}")
        elif self.outcome == "not-found":
            parts.append("no route")
        parts.append(str(self.status))
        return " → ".join(parts)

    def _location(self, url: str) -> str:
        """The redirect target as the user reads it: the path when it stays on this origin."""
        parts = urlsplit(url)
        if parts.scheme and parts.hostname in ("localhost", "127.0.0.1"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return url
