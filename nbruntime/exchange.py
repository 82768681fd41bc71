"""One request's conversation with the host, written without I/O so the sync and async APIs share it.

The caller waits for the host's next event (at most :meth:`Exchange.remaining` seconds) and hands it to
:meth:`Exchange.receive`, which answers what the caller should see (the head, a chunk, a console line);
when a wait times out, :meth:`Exchange.expired` says what to do: cancel the request, or kill the host.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .errors import HandlerError, user_stack
from .http import Chunk, Headers, LogLine, Request, Response

#: After a cancel, how long the host gets to confirm before we decide its event loop is stuck.
CANCEL_GRACE_S = 2.0


class Head:
    """Marker returned once the status and headers are known."""


CANCEL, KILL, HEAD = object(), object(), Head()
Event = Chunk | LogLine | Head

_now = time.perf_counter


class Exchange:
    """Builds a Response from host events and enforces the time limits."""

    def __init__(
        self,
        request: Request,
        timeout: float,
        stream_timeout: float,
        describe: Callable[[dict, str], HandlerError],
        crash_reason: Callable[[], str],
        keep_body: bool = True,
    ):
        self.request = request
        self.keep_body = keep_body  # False: count the chunks and pass them on, but keep none (a 100 MB stream)
        self.response = Response(request.method, request.url)
        self.timeout, self.stream_timeout = timeout, stream_timeout
        self.describe, self.crash_reason = describe, crash_reason
        self.started = _now()
        self.deadline = self.started + timeout
        self.stopping = False  # cancelled for its time limit, waiting for the host to confirm
        self.limit = ""  # which limit it was cancelled for, said when it fails
        self.finished = False
        self.cancelled_by_user = False
        self.tail: Chunk | None = None  # the chunk that came with the head in one frame, for a caller reading events

    def remaining(self) -> float:
        """How long the caller may wait for the next event."""
        return self.deadline - _now()

    def expired(self) -> object:
        """The wait timed out: CANCEL the request, or (no confirmation came) KILL the host, whose event loop is stuck;
        the response has then failed already."""
        if not self.stopping:
            self.stopping = True
            self.limit = self._limit_message()
            self.deadline = _now() + CANCEL_GRACE_S
            return CANCEL
        self._fail(
            HandlerError(
                "timeout",
                "TimeoutError",
                self.limit + ", and the host did not confirm the cancel: something blocked the Node.js event loop "
                "(a synchronous loop, or promises that never yield, in this handler or one running beside it), so "
                "the host was restarted",
                notes=["Deployed cells were redeployed; module-level state was reset."],
            )
        )
        return KILL

    def receive(self, message: dict, payload: bytes) -> Event | None:
        """Takes one event of the host into the response; returns what the caller should see of it, if anything."""
        event = message["ev"]
        if event == "chunk":
            return self._chunk(message, payload)
        if event == "head":
            return self._head(message)
        if event == "whole":  # head, body (one chunk, or none) and end in one frame: the chunk waits in `tail`
            size = message["body"]
            self._head(message)
            if size is not None:
                self.tail = self._chunk(message, payload[:size])
            self._end(message, payload[size or 0 :])
            return HEAD
        if event == "end":
            self._end(message, payload)
        elif event == "log":
            text = message["text"].rstrip("\n")
            if "\n    at " in text:  # an error it printed: its stack without the host's frames, as in an error's
                text = user_stack(text)
            line = LogLine(self._ms(message), message["level"], text)
            self.response.logs.append(line)
            return line
        elif event == "error":
            self.response.error = self.describe(message["error"], "exception")
        elif event == "done":  # the body is complete; after() work may still be running
            self.response.elapsed_ms = self._ms(message)
        elif event == "died":
            self._fail(
                HandlerError(
                    "crash",
                    "HostCrashed",
                    self.crash_reason(),
                    notes=["The host was restarted and every cell redeployed."],
                )
            )
        return None

    def _head(self, message: dict) -> Head:
        response = self.response
        response.status = message["status"]
        response.headers = Headers.from_wire(message["headers"])
        response.ttfb_ms = self._ms(message)
        if not self.stopping:
            self.deadline = self.started + self.stream_timeout
        return HEAD

    def _chunk(self, message: dict, payload: bytes) -> Chunk:
        response = self.response
        chunk = Chunk(self._ms(message), payload)
        response.body_size += len(payload)
        response.chunk_count += 1
        if self.keep_body:
            response.chunks.append(chunk)
        return chunk

    def _end(self, message: dict, payload: bytes) -> None:
        response = self.response
        if response.elapsed_ms is None:
            response.elapsed_ms = self._ms(message)
        response._trace = payload or None  # the trace as JSON, made a Trace when first read
        if self.cancelled_by_user:
            self._fail(HandlerError("cancelled", "AbortError", "the request was cancelled"))
        elif self.stopping:
            self._fail(HandlerError("timeout", "TimeoutError", self.limit))
        self.finished = True

    def _ms(self, message: dict) -> float:
        """Milliseconds from the start to when ``message`` was read (to now, if it was not), to the microsecond."""
        read = message.get("_t")
        return round(((_now() if read is None else read) - self.started) * 1e6) / 1000  # round(ms, 3) takes 3x as long

    def cancel(self) -> None:
        """Records that the caller stopped the request (the host is told separately)."""
        self.cancelled_by_user = True

    def _limit_message(self) -> str:
        if self.response.status:
            return (
                f"the response did not finish within {self.stream_timeout:g} s "
                "(the streaming limit; set App(stream_timeout=...))"
            )
        return (
            f"no response within {self.timeout:g} s: edge platforms require the first byte within "
            "25 s (Vercel's EDGE_FUNCTION_INVOCATION_TIMEOUT); set timeout=... to change it"
        )

    def _fail(self, error: HandlerError) -> None:
        response = self.response
        if response.error is None:
            response.error = error
        if not response.status:
            response.status = 504 if error.kind == "timeout" else 502
        if response.elapsed_ms is None:
            response.elapsed_ms = self._ms({})
        self.finished = True
