"""The request form: method, path (suggested from the routes), headers, cookies and a body.

Bad input is caught here, next to the field it belongs to, and nothing is sent.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

import ipywidgets as w

from ..errors import RequestError
from ..http import METHODS, Request

BODY_KINDS = ("none", "text", "JSON", "form")


def parse_lines(text: str, separator: str, field: str) -> list[tuple[str, str]]:
    """``Name: value`` (headers) or ``name=value`` (form fields) lines; blank lines are skipped."""
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, found, value = line.partition(separator)
        if not found:
            raise RequestError(field, f"line {number} is not 'name{separator} value': {line!r}")
        pairs.append((name.strip(), value.strip()))
    return pairs


class RequestBuilder(w.VBox):
    """A form that turns into ``App.request`` arguments, or shows why it cannot."""

    def __init__(self, paths: list[str] | None = None, path: str = "/"):
        self.method = w.Combobox(value="GET", options=list(METHODS), description="method", ensure_option=False,
                                 layout=w.Layout(width="220px"))
        self.path = w.Combobox(value=path, options=paths or [], description="path", placeholder="/api/hello",
                               layout=w.Layout(width="520px"))
        self.headers = w.Textarea(description="headers", placeholder="Accept: application/json",
                                  layout=w.Layout(width="520px", height="60px"))
        self.cookies = w.Text(description="cookies", placeholder="session=alice; theme=dark",
                              layout=w.Layout(width="520px"))
        self.body_kind = w.ToggleButtons(options=BODY_KINDS, value="none", description="body",
                                         style={"button_width": "60px"})
        self.body = w.Textarea(placeholder='{"name": "ada"}', disabled=True,
                               layout=w.Layout(width="520px", height="80px"))
        self.body_kind.observe(lambda change: setattr(self.body, "disabled", change["new"] == "none"), "value")
        self.errors = {name: w.HTML(layout=w.Layout(margin="0 0 0 90px")) for name in
                       ("method", "url", "headers", "body")}
        super().__init__([self.method, self.errors["method"], self.path, self.errors["url"], self.headers,
                          self.errors["headers"], self.cookies, self.body_kind, self.body, self.errors["body"]])

    def request_arguments(self, origin: str) -> dict[str, Any] | None:
        """The arguments for ``App.stream``, checked; ``None`` (with messages shown) if anything is wrong."""
        for label in self.errors.values():
            label.value = ""
        try:
            arguments = self._arguments()
            Request.build(origin=origin, **arguments)
        except RequestError as error:
            self.errors.get(error.field, self.errors["body"]).value = (
                f"<span class='nbruntime-field-error' style='color:#c62828'>⚠ {error}</span>")
            return None
        return arguments

    def _arguments(self) -> dict[str, Any]:
        headers = parse_lines(self.headers.value, ":", "headers")
        if self.cookies.value.strip():
            headers.append(("cookie", self.cookies.value.strip()))
        arguments: dict[str, Any] = {"method": self.method.value.strip(), "url": self.path.value.strip(),
                                     "headers": headers}
        kind, text = self.body_kind.value, self.body.value
        if kind == "text":
            arguments["body"] = text
        elif kind == "JSON":
            try:
                arguments["json"] = json.loads(text)
            except ValueError as error:
                raise RequestError("body", f"not valid JSON: {error}") from None
        elif kind == "form":
            arguments["body"] = urlencode(parse_lines(text, "=", "body"))
            headers.append(("content-type", "application/x-www-form-urlencoded"))
        return arguments

    def fill(self, request: Request) -> None:
        """Loads an earlier request into the form, to edit and send again."""
        parts = urlsplit(request.url)
        self.method.value = request.method
        self.path.value = parts.path + (f"?{parts.query}" if parts.query else "")
        cookies = [v for k, v in request.headers if k == "cookie"]
        self.cookies.value = "; ".join(cookies)
        self.headers.value = "\n".join(f"{k}: {v}" for k, v in request.headers if k != "cookie")
        if request.body is None:
            self.body_kind.value, self.body.value = "none", ""
        else:
            self.body_kind.value, self.body.value = "text", request.body.decode("utf-8", "replace")
