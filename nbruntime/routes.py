"""Where a file lives in a Next.js app decides what it is: middleware, a route handler, or a module."""

from __future__ import annotations

import json
import posixpath
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import Problem

SOURCE_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts")
#: What a route module may export, as Next's type check of TypeScript routes has it: handlers and segment config.
ROUTE_EXPORTS = frozenset({
    "GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH", "config", "generateStaticParams", "revalidate",
    "dynamic", "dynamicParams", "fetchCache", "preferredRegion", "runtime", "maxDuration",
})
_STEM = re.compile(r"^(?:src/)?(middleware|proxy)\.\w+$")
_ROUTE = re.compile(r"^(?:src/)?app/(?:(.*)/)?route\.\w+$")
#: Metadata files Next turns into route handlers: robots and manifest at the app's root, a sitemap in any folder.
_METADATA = re.compile(r"^(?:src/)?app/(?:(?P<folder>.*)/)?(?P<name>sitemap)\.(?:js|jsx|ts|tsx)$"
                       r"|^(?:src/)?app/(?P<root>robots|manifest)\.(?:js|jsx|ts|tsx)$")
#: The path each metadata file answers.
METADATA_FILES = {"robots": "robots.txt", "sitemap": "sitemap.xml", "manifest": "manifest.webmanifest"}
#: Metadata files Next serves as they are, at their own path (tests/conformance/metadata-files); a text file only.
_STATIC_METADATA = re.compile(
    r"^(?:src/)?app/(?:(?:.*/)?sitemap\.xml|robots\.txt|manifest\.(?:json|webmanifest)|icon\d?\.svg)$"
)
_UNDERSCORE = re.compile("%5F")
#: Unicode categories no file name of an app may hold, and what each is.
_NOT_TEXT = {"Cc": "a control character", "Cs": "a lone surrogate, which is not text"}


def normalize_path(path: str, source_only: bool = True) -> str:
    """A file path inside the app, in the canonical form used as the deployment's name.

    With ``source_only=False`` any file is accepted (data files a cell reads, like ``data/list.txt``).
    """
    given = str(path).strip().replace("\\", "/")
    clean = posixpath.normpath(given)
    if not given or clean in (".", "..") or clean.startswith("../") or posixpath.isabs(clean):
        raise ValueError(f"{path!r} is not a path inside the app (e.g. app/api/hello/route.ts)")
    if odd := next((c for c in clean if unicodedata.category(c) in _NOT_TEXT), None):
        # No file system keeps a NUL, and a line break or an escape in a file name is a slip, not a route.
        what = _NOT_TEXT[unicodedata.category(odd)]
        raise ValueError(f"{visible(clean)}: a file name cannot hold U+{ord(odd):04X} ({what})")
    if source_only and not clean.endswith(SOURCE_EXTENSIONS):
        raise ValueError(f"{path!r} must end in one of {', '.join(SOURCE_EXTENSIONS)}")
    return clean


def visible(path: str) -> str:
    """The path with its control characters (and lone surrogates) written as escapes, so a message shows them."""
    return "".join(
        c.encode("unicode_escape", "backslashreplace").decode() if unicodedata.category(c) in _NOT_TEXT else c
        for c in path
    )


def clash(path: str, files: Iterable[str]) -> str | None:
    """Why ``path`` cannot sit beside these files: one of them is where its folder must be, or inside it."""
    for other in files:
        if path.startswith(other + "/"):
            return f"it needs a folder {other}, but {other} is a deployed file"
        if other.startswith(path + "/"):
            return f"it would be a file where the folder holding {other} is"
    return None


def file_kind(path: str) -> str:
    """'middleware', 'proxy', 'route', 'module', or 'asset' (a file that is not code)."""
    public = not any(part.startswith("_") for part in path.split("/"))  # `_folder`s are private: no routes
    if _STATIC_METADATA.match(path) and public:
        return "route"
    if not path.endswith(SOURCE_EXTENSIONS):
        return "asset"
    if match := _STEM.match(path):
        return match.group(1)
    if (_ROUTE.match(path) or _METADATA.match(path)) and public:
        return "route"
    return "module"


@dataclass(frozen=True)
class Route:
    """An App Router route: its URL pattern, as a regex, and the dynamic params it captures."""

    file: str
    pattern: str
    regex: str
    params: tuple[tuple[str, str], ...]
    rank: tuple
    metadata: str | None = None  # 'robots', 'sitemap', 'manifest', or 'file' (served as it is): a metadata file

    def as_message(self) -> dict:
        message = {"file": self.file, "pattern": self.pattern, "regex": self.regex, "params": list(self.params)}
        return {**message, "metadata": self.metadata} if self.metadata else message


def route_for(file: str, sitemaps: bool = False) -> Route:
    """The route a ``route.ts`` file (or a metadata file) answers, by Next's folder rules.

    Group folders ``(x)`` do not appear in the URL; ``%5F`` in a folder name is a literal underscore (so
    ``%5Fsites`` serves ``/_sites``, where ``_sites`` would be a private folder), matched as is: a request
    for ``/%5Fsites`` does not reach it (tests/conformance/folder-rules). ``app/robots.ts`` answers
    ``/robots.txt``, ``app/x/sitemap.ts`` ``/x/sitemap.xml``, or with ``sitemaps`` (it exports
    ``generateSitemaps``) ``/x/sitemap/<id>.xml`` (tests/conformance/metadata-routes).
    """
    metadata = None
    if _STATIC_METADATA.match(file):
        metadata, folder = "file", file.partition("app/")[2]
    elif match := _METADATA.match(file):
        metadata = match.group("name") or match.group("root")
        file_segment = "sitemap/[__metadata_id__]" if sitemaps and metadata == "sitemap" else METADATA_FILES[metadata]
        folder = "/".join(filter(None, [match.group("folder"), file_segment]))
    else:
        folder = _ROUTE.match(file).group(1) or ""
    segments = [_UNDERSCORE.sub("_", s) for s in folder.split("/") if s and not (s.startswith("(") and s.endswith(")"))]
    regex, params, rank = "", [], []
    for segment in segments:
        if match := re.fullmatch(r"\[\[\.\.\.(\w+)\]\]", segment):
            regex += "(?:/(.+?))?"
            params.append((match.group(1), "optional"))
            rank.append((3, ""))
        elif match := re.fullmatch(r"\[\.\.\.(\w+)\]", segment):
            regex += "/(.+?)"
            params.append((match.group(1), "catchall"))
            rank.append((2, ""))
        elif match := re.fullmatch(r"\[(\w+)\]", segment):
            regex += "/([^/]+?)"
            params.append((match.group(1), "single"))
            rank.append((1, ""))
        else:
            regex += "/" + re.escape(segment)
            rank.append((0, segment))
    pattern = "/" + "/".join(segments)
    # The root answers "/": an empty pattern, or an optional catch-all standing alone.
    regex = {"": "/", "(?:/(.+?))?": "/(?:(.+?))?"}.get(regex, regex)
    return Route(file, pattern, f"^{regex}$", tuple(params), tuple(rank), metadata)


def route_table(routes: Iterable[Route]) -> tuple[list[Route], list[Problem]]:
    """Routes in the order Next.js tries them (static before dynamic before catch-all), and conflicts."""
    routes = sorted(routes, key=lambda r: r.rank)
    problems, seen = [], {}
    for route in routes:
        shape = tuple(kind for kind, _ in route.rank), tuple(name for _, name in route.rank)
        if shape in seen:
            problems.append(
                Problem(
                    route.file,
                    f"{route.pattern} is also answered by {seen[shape]}: Next.js refuses two routes for the same path",
                    name="RouteConflict",
                )
            )
        seen.setdefault(shape, route.file)
    return routes, problems


def route_export_problem(route: Route, exports: list[str], next_version: str, typescript: bool) -> Problem | None:
    """``next build`` type-checks a route's exports in an app with TypeScript, a JavaScript route's too
    (tests/conformance/route-bad-export, route-query-method).

    15 refuses any export that is not a handler or segment config (``export const get``); 16 checks the module
    against a type whose fields are all optional, so only a module with none of them fails. A metadata file needs
    its default export: the route Next's build makes of it throws without one.
    """
    if route.metadata:
        missing = "default" not in exports
        return Problem(route.file, f'Default export is missing in "{route.file}"', name="Error") if missing else None
    if not typescript:
        return None
    stray = [name for name in exports if name not in ROUTE_EXPORTS]
    if not stray:
        return None
    if str(next_version).startswith("16"):
        if len(stray) < len(exports):
            return None
        module = route.file.rsplit(".", 1)[0]
        message = (f"Type error: Type 'typeof import(\"./{module}\")' has no properties in common with type "
                   f"'RouteHandlerConfig<\"{route.pattern}\">'.")
    else:
        message = (f'Type error: Route "{route.file}" does not match the required types of a Next.js Route.\n'
                   f'  "{stray[0]}" is not a valid Route export field.')
    return Problem(route.file, message, name="TypeError")


def metadata_module(path: str, text: str) -> str:
    """The module the host runs for a metadata file served as it is (``app/robots.txt``): its text as default export."""
    return f"export default {json.dumps(text)};\n" if _STATIC_METADATA.match(path) else text
