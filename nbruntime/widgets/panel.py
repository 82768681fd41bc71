"""The request panel: a builder, Send and Stop, a live response view, and the history to replay.

A request runs on a thread of its own, so the kernel stays idle and usable while a response streams;
the view repaints at most 30 times a second, and every repaint shows every chunk received so far.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import ipywidgets as w

from .. import display as show
from .. import snippets
from ..app import App, Exchanged, Stream
from .builder import RequestBuilder

REPAINTS_PER_SECOND = 30
COPY_FORMATS = {"curl": snippets.to_curl, "fetch()": snippets.to_fetch, "Python": snippets.to_python}


class RequestPanel(w.VBox):
    """Build a request, send it, watch it arrive, and go back to any earlier one."""

    def __init__(self, app: App, path: str | None = None):
        self.app = app
        self.builder = RequestBuilder(self._paths(), path or (self._paths() or ["/"])[0])
        self.send_button = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True)
        self.view = w.HTML(layout=w.Layout(width="100%"))
        self.history = w.Select(options=[], rows=5, description="history", layout=w.Layout(width="720px"))
        self.replay_button = w.Button(description="Replay", icon="redo")
        self.edit_button = w.Button(description="Edit", icon="edit")
        self.copy_as = w.Dropdown(options=["curl", "fetch()", "Python", "test"], description="copy as")
        self.snippet = w.Textarea(layout=w.Layout(width="720px", height="90px"))
        self.send_button.on_click(lambda _: self.send())
        self.stop_button.on_click(lambda _: self.stop())
        self.replay_button.on_click(lambda _: self.replay())
        self.edit_button.on_click(lambda _: self.edit())
        self.copy_as.observe(lambda _: self._show_snippet(), "value")
        self.history.observe(lambda _: self._show_selected(), "value")
        self._stream: Stream | None = None
        self._entries: list[Exchanged] = []
        self._lock = threading.Lock()
        self.worker: threading.Thread | None = None
        super().__init__([
            self.builder, w.HBox([self.send_button, self.stop_button]), self.view,
            w.HBox([self.history, w.VBox([self.replay_button, self.edit_button])]), self.copy_as, self.snippet,
        ])

    def _paths(self) -> list[str]:
        return [route.pattern for route in self.app.routes]

    # -- sending ------------------------------------------------------------------------------

    def send(self, arguments: dict[str, Any] | None = None) -> threading.Thread | None:
        """Starts the request in the background and returns at once (the thread, for tests to join)."""
        arguments = arguments or self.builder.request_arguments(self.app.origin)
        if arguments is None or (self.worker and self.worker.is_alive()):
            return None
        self.builder.path.options = self._paths()
        self.worker = threading.Thread(target=self._run, args=(arguments,), name="nbruntime-request", daemon=True)
        self.worker.start()
        return self.worker

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.cancel()

    def _run(self, arguments: dict[str, Any]) -> None:
        self.send_button.disabled, self.stop_button.disabled = True, False
        started = time.perf_counter()
        finished = threading.Event()
        try:
            with self.app.stream(**arguments) as stream:
                self._stream = stream
                ticker = threading.Thread(target=self._tick, args=(stream, started, finished), daemon=True)
                ticker.start()
                last = 0.0
                for _ in stream.events():
                    now = time.perf_counter()
                    if now - last >= 1 / REPAINTS_PER_SECOND:
                        self._paint(stream, started, live=True)
                        last = now
        finally:
            finished.set()
            self._stream = None
            self.send_button.disabled, self.stop_button.disabled = False, True
        self._paint(stream, started, live=False)
        self._remember(self.app.history[-1] if self.app.history else Exchanged(stream.request, stream.response))

    def _tick(self, stream: Stream, started: float, finished: threading.Event) -> None:
        """Keeps the elapsed time and progress moving while nothing arrives."""
        while not finished.wait(1 / 4):
            self._paint(stream, started, live=True)

    def _paint(self, stream: Stream, started: float, live: bool) -> None:
        with self._lock:
            now_ms = (time.perf_counter() - started) * 1000
            self.view.value = show.response_bundle(stream.response, live=live, now_ms=now_ms)["text/html"]

    # -- history ------------------------------------------------------------------------------

    def _remember(self, entry: Exchanged) -> None:
        self._entries.append(entry)
        labels = [f"{i + 1}. {e.request.method} {e.request.url} → {e.response.status}"
                  for i, e in enumerate(self._entries)]
        self.history.options = list(reversed(list(zip(labels, range(len(labels)), strict=True))))
        self.history.value = len(self._entries) - 1

    def _selected(self) -> Exchanged | None:
        index = self.history.value
        return self._entries[index] if index is not None else None

    def _show_selected(self) -> None:
        if entry := self._selected():
            self.view.value = show.response_bundle(entry.response)["text/html"]
            self._show_snippet()

    def _show_snippet(self) -> None:
        if entry := self._selected():
            if self.copy_as.value == "test":
                self.snippet.value = snippets.to_test(entry.request, entry.response)
            else:
                self.snippet.value = COPY_FORMATS[self.copy_as.value](entry.request)

    def replay(self) -> threading.Thread | None:
        """Sends the selected request again, unchanged."""
        if entry := self._selected():
            request = entry.request
            path = request.url[len(self.app.origin):] or "/"
            return self.send({"method": request.method, "url": path, "headers": request.headers,
                              "body": request.body})
        return None

    def edit(self) -> None:
        """Loads the selected request into the form."""
        if entry := self._selected():
            self.builder.fill(entry.request)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        """The widget where there is a widget frontend, and the same information as HTML/text where not."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        latest = self.app.history[-1].response if self.app.history else None
        fallback = show.response_bundle(latest) if latest else show.routes_bundle(self.app)
        return {**bundle, **fallback}
