"""Requests and responses as plain values: headers, body chunks with arrival times, errors."""

from __future__ import annotations

import functools
import json as jsonlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import HandlerError, RequestError
from .trace import Trace

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]] | None


class Headers:
    """Case-insensitive, multi-valued HTTP headers (the httpx way): ``h["a"]`` joins repeats with ", "."""

    def __init__(self, headers: HeaderInput = None):
        if headers is None:  # a fresh Response's: cheap to make
            self._items = []
        else:
            self._items = _lowercase(headers.items() if isinstance(headers, Mapping) else headers)

    @classmethod
    def from_wire(cls, pairs: list[list[str]]) -> Headers:
        """The headers as the host sends them, taken in when first read: most responses' headers never are."""
        headers = cls.__new__(cls)
        headers._wire = pairs
        return headers

    @functools.cached_property
    def _items(self) -> list[tuple[str, str]]:
        """(name, value) pairs, names in lower case (set at once unless the headers came from the host)."""
        return _lowercase(self._wire)

    @functools.cached_property
    def _values(self) -> dict[str, list[str]]:
        """Name → values, so each lookup costs the same however many headers there are (made when first looked up:
        most responses' headers are never read)."""
        values: dict[str, list[str]] = {}
        for name, value in self._items:
            values.setdefault(name, []).append(value)
        return values

    def __getitem__(self, name: str) -> str:
        values = self.get_list(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self[name] if name in self else default

    def get_list(self, name: str) -> list[str]:
        return list(self._values.get(name.lower(), ()))

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def items(self) -> list[tuple[str, str]]:
        return [(k, ", ".join(v)) for k, v in self._values.items()]

    def keys(self) -> list[str]:
        return list(self._values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and sorted(self._items) == sorted(other._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


def _lowercase(items: Iterable) -> list[tuple[str, str]]:
    return [(str(name).lower(), str(value)) for name, value in items]


@dataclass(frozen=True)
class Chunk:
    """A piece of the body as the handler produced it; ``t_ms`` is its arrival since the request began."""

    t_ms: float
    data: bytes


@dataclass(frozen=True)
class LogLine:
    """Something the handler printed. ``level`` is the console method for ``console.info``, ``debug``, ``warn`` and
    ``error``; other methods say the stream they write to, as Node's console does: "log" (stdout: ``log``, ``dir``,
    ``table``, ...) or "error" (stderr: ``trace``, ``assert``), as do ``process.stdout`` and ``stderr`` writes."""

    t_ms: float
    level: str
    text: str


@dataclass(frozen=True)
class ServerLine:
    """Something the app printed outside any request in flight, where ``next start`` prints it on its terminal: a
    module's top level as it is deployed, a timer it started, work that outlived its request, an error nothing caught.
    ``at`` is when (``time.time()``); ``level`` as in :class:`LogLine`."""

    at: float
    level: str
    text: str


@dataclass
class Response:
    """What the simulated Next.js server answered."""

    method: str
    url: str
    status: int = 0
    headers: Headers = field(default_factory=Headers)
    chunks: list[Chunk] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)
    error: HandlerError | None = None
    ttfb_ms: float | None = None
    elapsed_ms: float | None = None
    #: the body's size and pieces as received, also when the chunks themselves were not kept (``keep_body=False``)
    body_size: int = 0
    chunk_count: int = 0
    _trace: Trace | bytes | None = field(default=None, repr=False)  # as the host sent it until first read

    @property
    def trace(self) -> Trace | None:
        """The path the request took (middleware, rewrites, route, timings); ``trace.verdict`` says it in one line."""
        if isinstance(self._trace, bytes):
            self._trace = Trace.from_message(jsonlib.loads(self._trace))
        return self._trace

    @trace.setter
    def trace(self, trace: Trace | None) -> None:
        self._trace = trace

    @property
    def body(self) -> bytes:
        return b"".join(c.data for c in self.chunks)

    @property
    def text(self) -> str:
        return self.body.decode(_charset(self.headers.get("content-type")), errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    @property
    def verdict(self) -> str | None:
        """The request's path in one line, e.g. "middleware matched → redirect 307 → /login"."""
        return self.trace.verdict if self.trace else None

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 400

    def __repr__(self) -> str:
        return f"<Response [{self.status}] {self.method} {self.url}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import response_bundle

        return response_bundle(self)


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    """``headers=`` as (name, value) text pairs, or a RequestError saying what is wrong with it."""
    if headers is None:
        return []
    if isinstance(headers, (str, bytes)) or not isinstance(headers, (Mapping, Iterable)):
        raise RequestError("headers", f"expected a mapping or (name, value) pairs, got {type(headers).__name__}")
    pairs = []
    for item in headers.items() if isinstance(headers, Mapping) else headers:
        if isinstance(item, (str, bytes)) or not isinstance(item, Iterable) or len(pair := tuple(item)) != 2:
            raise RequestError("headers", f"{item!r} is not a (name, value) pair")
        name, value = pair
        if not isinstance(name, str) or not isinstance(value, str):
            raise RequestError("headers", f"header names and values must be text, got {name!r}: {value!r}")
        pairs.append((name, value))
    return pairs


def _path_of(url: Any) -> str:
    """The path (and query) the request is for, or a RequestError saying what is wrong with ``url``."""
    if not isinstance(url, str) or not url or any(c.isspace() or ord(c) < 32 for c in url):
        raise RequestError("url", f"{url!r} is not a URL path (spaces must be written %20)")
    if url.startswith("//"):  # a path with repeated slashes, as a request line may hold (Next redirects it)
        return url
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RequestError("url", f"{url!r} is not an http(s) URL")
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not url.startswith("/"):
        raise RequestError("url", f"{url!r} must start with '/'")
    return url


#: A path with no scheme, host, space or control character (``\s`` is what ``str.isspace`` says is space).
_PATH = re.compile(r"/(?!/)[^\s\x00-\x1f]*\Z")
#: The methods a route handler can export; any other method token is still sent (and Next answers it).
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_TOKEN = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class Request:
    """A checked request, ready to send: bad input is refused here, before anything reaches Node."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | None

    @classmethod
    def build(
        cls,
        method: str,
        url: str,
        origin: str,
        headers: HeaderInput = None,
        body: bytes | str | None = None,
        json: Any = None,
    ) -> Request:
        method = str(method).upper()
        if method not in METHODS and (not method or not set(method) <= _TOKEN):
            raise RequestError("method", f"{method!r} is not an HTTP method (a token such as GET or PROPFIND)")
        if not isinstance(url, str) or not _PATH.match(url):  # the usual case, a path, needs no parsing
            url = _path_of(url)
        pairs = Headers(_header_pairs(headers)).multi_items() if headers is not None else []
        for name, value in pairs:
            if not name or not set(name) <= _TOKEN:
                raise RequestError("headers", f"{name!r} is not a valid header name")
            if any(c in value for c in "\r\n\0"):
                raise RequestError("headers", f"the value of {name!r} contains a line break or NUL")
            if max(value, default="\0") > "\xff":  # fetch's Headers takes ByteStrings: one byte per character
                raise RequestError("headers", f"the value of {name!r} has a character beyond \\xff (encode it first)")
        if json is not None:
            if body is not None:
                raise RequestError("body", "give either body or json, not both")
            body = jsonlib.dumps(json).encode()
            if not any(k == "content-type" for k, _ in pairs):
                pairs.append(("content-type", "application/json"))
        if isinstance(body, str):
            body = body.encode()
        if body is not None and not isinstance(body, (bytes, bytearray, memoryview)):
            raise RequestError("body", f"expected bytes or str, got {type(body).__name__}")
        if body is not None and method in ("GET", "HEAD"):
            raise RequestError("body", f"a {method} request cannot have a body")
        return cls(method, origin.rstrip("/") + url, pairs, bytes(body) if body is not None else None)
