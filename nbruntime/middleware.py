"""What ``next build`` decides about the app's middleware file, per Next version.

15.5: ``middleware.ts`` (edge by default, ``runtime: 'nodejs'`` allowed); a ``proxy.ts`` means nothing.
16: ``proxy.ts`` (always Node.js; any runtime setting fails the build); ``middleware.ts`` still works with
a deprecation warning; both together fail the build. Either way the matchers must be valid literals.
"""

from __future__ import annotations

from .errors import BuildError, Problem
from .matcher import Matcher, MatcherError, compile_matchers, matcher_problem
from .routes import file_kind
from .segment import declared_runtime

_TO_PROXY = "Learn more: https://nextjs.org/docs/messages/middleware-to-proxy"
#: The file kinds that are the app's middleware (at most one per app).
ENTRY_KINDS = ("middleware", "proxy")


def is_next16(next_version: str) -> bool:
    return str(next_version).split(".")[0] == "16"


def entry_kind(kind: str, path: str, next_version: str) -> tuple[str, list[Problem]]:
    """The kind a file really has in this Next version, with the warnings ``next build`` prints for it."""
    if kind == "proxy" and not is_next16(next_version):
        note = "proxy.ts is the Next 16 name for middleware; Next 15.5 does not run it (use middleware.ts or next='16')"
        return "module", [Problem(path, note, name="Ignored", severity="warning")]
    if kind == "middleware" and is_next16(next_version):
        note = 'The "middleware" file convention is deprecated. Please use "proxy" instead.'
        return kind, [Problem(path, note, name="Deprecated", severity="warning")]
    return kind, []


def edge_deprecation(path: str, kind: str, runtime: str, next_version: str) -> list[Problem]:
    """Next 16 builds edge route handlers with a deprecation warning."""
    if kind == "route" and runtime == "edge" and is_next16(next_version):
        note = 'The Edge Runtime is deprecated. You can use the "nodejs" runtime instead.'
        return [Problem(path, note, name="Deprecated", severity="warning")]
    return []


def check_entry(
    path: str, source: str, kind: str, runtime: str | None, next_version: str, entries: list[str]
) -> list[Matcher] | None:
    """The compiled matchers of a middleware/proxy file; raises BuildError where ``next build`` fails.

    ``runtime`` is what the caller asked for (a magic or ``deploy(runtime=...)``), ``entries`` the paths of
    the other middleware/proxy files already deployed.
    """
    if kind == "proxy" and declared_runtime(source, path) is not None:
        message = (
            f'Route segment config is not allowed in Proxy file at "./{path}". '
            f"Proxy always runs on Node.js runtime. {_TO_PROXY}"
        )
        raise BuildError([Problem(path, message, name="InvalidConfig")])
    if kind == "proxy" and runtime == "edge":  # asked for by %%edge or deploy(runtime="edge"), not by the file
        message = (f"./{path} cannot run on the Edge runtime: in Next.js 16 a proxy always runs on Node.js. "
                   "Deploy it with %%node, or keep it on Edge as middleware.ts (deprecated in 16).")
        raise BuildError([Problem(path, message, name="InvalidRuntime")])
    for other in entries:
        names = {kind: path, file_kind(other): other}
        if {"middleware", "proxy"} <= names.keys():
            message = (
                f'Both middleware file "./{names["middleware"]}" and proxy file "./{names["proxy"]}" are detected. '
                f'Please use "./{names["proxy"]}" only. {_TO_PROXY}'
            )
            raise BuildError([Problem(path, message, name="BuildError")])
    try:
        return compile_matchers(source, path)
    except MatcherError as error:
        raise BuildError([matcher_problem(error, path, source)]) from None


def export_problem(path: str, kind: str, exports: list[str]) -> Problem | None:
    """Next refuses a middleware/proxy file without its handler (named export or default)."""
    if kind in exports or "default" in exports:
        return None
    title = "Proxy" if kind == "proxy" else "Middleware"
    message = f'The {title} file "./{path}" must export a function named `{kind}` or a default function.'
    return Problem(path, message, name="BuildError")
