"""The request panel: a builder, Send and Stop, a live response view, and the app's history to replay or export.

A request runs on a thread of its own, so the kernel stays idle and usable while a response streams;
the view repaints at most 30 times a second, and every repaint shows every chunk received so far. The
history is ``App.history``: every request the app answered, whoever sent it (this panel, a magic, Python,
or a client of ``App.serve()``'s port).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as w

from .. import display as show
from .. import snippets
from ..app import App, Exchanged, Stream
from .builder import RequestBuilder
from .snapshot import Snapshot

REPAINTS_PER_SECOND = 30
COPY_FORMATS = {"curl": snippets.to_curl, "fetch()": snippets.to_fetch, "Python": snippets.to_python}
EXPORTS = ("pytest file", "Next.js project")
#: How many of the latest requests the snapshot lists.
SNAPSHOT_ROWS = 20


class RequestPanel(Snapshot, w.VBox):
    """Build a request, send it, watch it arrive, and go back to any request the app answered."""

    def __init__(self, app: App, path: str | None = None):
        self.app = app
        self.builder = RequestBuilder(self._paths(), path or (self._paths() or ["/"])[0])
        self.send_button = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True)
        self.view = w.HTML(layout=w.Layout(width="100%"))
        self.history = w.Select(options=[], rows=6, description="history", layout=w.Layout(width="720px"))
        self.replay_button = w.Button(description="Replay", icon="redo")
        self.edit_button = w.Button(description="Edit", icon="edit")
        self.copy_as = w.Dropdown(options=["curl", "fetch()", "Python", "test"], description="copy as")
        self.snippet = w.Textarea(layout=w.Layout(width="720px", height="90px"))
        self.export_as = w.Dropdown(options=EXPORTS, description="export")
        self.export_to = w.Text(value="test_requests.py", placeholder="file or folder",
                                layout=w.Layout(width="260px"))
        self.export_button = w.Button(description="Export", icon="download")
        self.export_status = w.HTML()
        self.send_button.on_click(lambda _: self.send())
        self.stop_button.on_click(lambda _: self.stop())
        self.replay_button.on_click(lambda _: self.replay())
        self.edit_button.on_click(lambda _: self.edit())
        self.export_button.on_click(lambda _: self.export())
        self.export_as.observe(self._export_kind_changed, "value")
        self.copy_as.observe(lambda _: self._show_snippet(), "value")
        self.history.observe(self._selection_changed, "value")
        self._stream: Stream | None = None
        self._relisting = False  # the history is being listed again: its selection moving is not the user's
        self._entries: list[Exchanged] = []
        self._lock = threading.Lock()
        self.worker: threading.Thread | None = None
        super().__init__([
            self.builder, w.HBox([self.send_button, self.stop_button]), self.view,
            w.HBox([self.history, w.VBox([self.replay_button, self.edit_button])]), self.copy_as, self.snippet,
            w.HBox([self.export_as, self.export_to, self.export_button]), self.export_status,
        ])
        self._heard(None)
        app.history.listen(self._heard)

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
        ticker: threading.Thread | None = None
        try:
            stream = self._stream = self.app.stream(**arguments)  # Stop works while the head is awaited too
            with stream:
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
            if ticker is not None:
                ticker.join()  # its last live repaint lands before the final one, never after
            self._stream = None
            self.send_button.disabled, self.stop_button.disabled = False, True
        self._paint(stream, started, live=False)

    def _tick(self, stream: Stream, started: float, finished: threading.Event) -> None:
        """Keeps the elapsed time and progress moving while nothing arrives."""
        while not finished.wait(1 / 4):
            self._paint(stream, started, live=True)

    def _paint(self, stream: Stream, started: float, live: bool) -> None:
        with self._lock:
            now_ms = (time.perf_counter() - started) * 1000
            self.view.value = show.response_bundle(stream.response, live=live, now_ms=now_ms)["text/html"]

    # -- history ------------------------------------------------------------------------------

    def _heard(self, entry: Exchanged | None) -> None:
        """The app answered a request (from anywhere): list it and redraw the snapshot. The selection stays
        on the request it was on, unless the answer is to this panel's own request, which is then selected.

        Listing the options again moves a ``Select``'s value to the first one; that move, and the move back,
        are not shown, so the view never flashes another response while the list changes."""
        with self._lock:
            stream = self._stream
            own = entry is not None and stream is not None and entry.request is stream.request
            keep = entry if own else self._selected()
            self._entries = list(self.app.history)
            self._relisting = True
            try:
                self.history.options = [(_label(i, e), i) for i, e in reversed(list(enumerate(self._entries)))]
                self.history.value = next((i for i, e in enumerate(self._entries) if e is keep), None)
            finally:
                self._relisting = False
        if own:
            self._show_selected()
        else:
            self.refresh_snapshot()

    def _selection_changed(self, _change: dict) -> None:
        if not self._relisting:
            self._show_selected()

    def _selected(self) -> Exchanged | None:
        index = self.history.value
        return self._entries[index] if index is not None and index < len(self._entries) else None

    def _show_selected(self) -> None:
        if entry := self._selected():
            self.view.value = show.response_bundle(entry.response)["text/html"]
            self._show_snippet()
            self.refresh_snapshot()

    def _show_snippet(self) -> None:
        if entry := self._selected():
            if self.copy_as.value == "test":
                self.snippet.value = snippets.to_test(entry.request, entry.response)
            else:
                self.snippet.value = self._copy(entry)

    def _copy(self, entry: Exchanged) -> str:
        """curl / fetch() aim at the port the app is served on; without one, the snippet says how to get one."""
        request = entry.request
        if self.copy_as.value == "Python":
            return snippets.to_python(request)
        server = self.app.server
        base = server.url if server else self.app.origin
        headers = [(k, v) for k, v in request.headers if k != "host"]  # the client sends its own
        request = dataclasses.replace(request, url=base + snippets.path_of(request), headers=headers)
        note = "" if server else (f"# nothing listens on {base} yet: %nbruntime serve (or app.serve()) "
                                  "answers there\n")
        return note + COPY_FORMATS[self.copy_as.value](request)

    def replay(self) -> threading.Thread | None:
        """Sends the selected request again, unchanged."""
        if entry := self._selected():
            request = entry.request
            return self.send({"method": request.method, "url": snippets.path_of(request),
                              "headers": request.headers, "body": request.body})
        return None

    def edit(self) -> None:
        """Loads the selected request into the form."""
        if entry := self._selected():
            self.builder.fill(entry.request)

    # -- export -------------------------------------------------------------------------------

    def _export_kind_changed(self, change: dict) -> None:
        self.export_to.value = "test_requests.py" if change["new"] == EXPORTS[0] else "exported-app"

    def export(self) -> Path | None:
        """Writes the history as a pytest file that stands alone, or the app as a Next.js project.

        The project (``nbruntime.export``) carries ``replay.test.mjs``, which replays the same history
        against ``next start``.
        """
        target = Path(self.export_to.value.strip() or ".")
        try:
            if self.export_as.value == EXPORTS[0]:
                target.write_text(snippets.to_test_module(self.app, self._entries))
                said = f"Wrote {target}: {len(self._entries)} tests (pytest {target})"
            else:
                from ..export import export

                written = export(self.app, target)
                said = f"Wrote {len(written)} files to {target}/: npm install && npm run build && npm start"
        except OSError as error:
            self.export_status.value = f"<span style='color:#c62828'>✖ {escape(str(error))}</span>"
            return None
        self.export_status.value = f"<span>✔ {escape(said)}</span>"
        return target

    # -- without a kernel ---------------------------------------------------------------------

    def snapshot(self) -> dict[str, str]:
        """The history (newest first) and the response on show, as the panel last showed them."""
        entries = list(reversed(self._entries))[:SNAPSHOT_ROWS]
        title = (f"Request panel: {len(self._entries)} request{'s' * (len(self._entries) != 1)} answered "
                 "(a snapshot; run the notebook for the live panel)")
        rows = [(_label(len(self._entries) - 1 - i, e), e.response.verdict or "") for i, e in enumerate(entries)]
        shown = self._selected() or (self._entries[-1] if self._entries else None)
        response = show.response_bundle(shown.response) if shown else show.routes_bundle(self.app)
        text = [title, *(f"  {label}   {verdict}" for label, verdict in rows), "", response["text/plain"]]
        html = (f"<div style='font-weight:bold;margin:2px 0'>{escape(title)}</div>"
                + (show.table(rows, "nbruntime-history", ("request", "path through the app")) if rows else "")
                + f"<div style='margin-top:6px'>{response['text/html']}</div>")
        return show.bundle(html, "\n".join(text))


def _label(index: int, entry: Exchanged) -> str:
    response = entry.response
    took = f" · {response.elapsed_ms:.0f} ms" if response.elapsed_ms is not None else ""
    return f"{index + 1}. {entry.request.method} {snippets.path_of(entry.request)} → {response.status}{took}"
