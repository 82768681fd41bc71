"""A browser's cookie jar for the app's one origin, so a login flow can span several requests."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

from .http import HeaderInput, Headers


class CookieJar:
    """Keeps what ``Set-Cookie`` said (value, path, expiry) and sends matching cookies back."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str], tuple[str, float | None]] = {}  # (name, path) → (value, expires)

    def update(self, headers: Headers) -> None:
        """Takes in a response's Set-Cookie lines; an expired cookie (``Max-Age=0``, past date) is removed."""
        now = time.time()
        for line in headers.get_list("set-cookie"):
            pair, *attributes = line.split(";")
            name, _, value = pair.strip().partition("=")
            path, expires = "/", None
            for attribute in attributes:
                key, _, arg = attribute.strip().partition("=")
                key = key.lower()
                if key == "path" and arg.startswith("/"):
                    path = arg
                elif key == "max-age" and arg.lstrip("-").isdigit():
                    expires = now + int(arg)  # Max-Age wins over Expires, as in browsers
                elif key == "expires" and expires is None:
                    try:
                        expires = parsedate_to_datetime(arg).timestamp()
                    except (TypeError, ValueError):
                        pass
            if expires is not None and expires <= now:
                self._cookies.pop((name, path), None)
            else:
                self._cookies[(name, path)] = (value, expires)

    def cookies_for(self, path: str) -> dict[str, str]:
        """Name → value for a request to ``path`` (longer cookie paths first, as browsers order them)."""
        now = time.time()
        found: dict[str, str] = {}
        for (name, cookie_path), (value, expires) in sorted(self._cookies.items(), key=lambda i: -len(i[0][1])):
            if (expires is None or expires > now) and _path_matches(path, cookie_path):
                found.setdefault(name, value)
        return found

    def headers_for(self, path: str, headers: HeaderInput) -> list[tuple[str, str]]:
        """``headers`` with the jar's cookies added to its Cookie header (cookies given explicitly win)."""
        pairs = Headers(headers).multi_items()
        explicit = "; ".join(v for k, v in pairs if k == "cookie")
        given = {part.split("=", 1)[0].strip() for part in explicit.split(";") if part.strip()}
        extra = [f"{name}={value}" for name, value in self.cookies_for(path).items() if name not in given]
        if not extra:
            return pairs
        cookie = "; ".join(filter(None, [explicit, *extra]))
        return [*(p for p in pairs if p[0] != "cookie"), ("cookie", cookie)]

    def clear(self) -> None:
        self._cookies.clear()

    def __len__(self) -> int:
        return len(self._cookies)

    def __repr__(self) -> str:
        return f"CookieJar({ {name: value for (name, _), (value, _) in self._cookies.items()} })"


def _path_matches(request_path: str, cookie_path: str) -> bool:
    if request_path == cookie_path or cookie_path == "/":
        return True
    return request_path.startswith(cookie_path.rstrip("/") + "/")
