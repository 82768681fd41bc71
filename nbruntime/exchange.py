"""One request's conversation with the host, written without I/O so the sync and async APIs share it.

``Exchange.run()`` is a generator: it yields what it needs done (wait for the next event, cancel the
request, kill the host) and what the caller should see (the head, chunks, console lines); the caller
sends back each event it received, or ``None`` when the wait timed out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

from .errors import HandlerError
from .http import Chunk, Headers, LogLine, Request, Response
from .trace import Trace

#: After a cancel, how long the host gets to confirm before we decide its event loop is stuck.
CANCEL_GRACE_S = 2.0


@dataclass(frozen=True)
class Wait:
    timeout: float


class Head:
    """Marker yielded once the status and headers are known."""


CANCEL, KILL, HEAD = object(), object(), Head()
Event = Chunk | LogLine | Head
Action = Wait | Event | object


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
        self.started = time.perf_counter()
        self.finished = False
        self.cancelled_by_user = False

    def _ms(self, message: dict) -> float:
        return round((message.get("_t", time.perf_counter()) - self.started) * 1000, 3)

    def run(self) -> Generator[Action, tuple[dict, bytes] | None, None]:
        response = self.response
        deadline = self.started + self.timeout
        stopping = False
        while True:
            item = yield Wait(deadline - time.perf_counter())
            if item is None:
                if stopping:  # no confirmation: the handler is blocking the event loop
                    yield KILL
                    self._fail(
                        HandlerError(
                            "timeout",
                            "TimeoutError",
                            self._limit_message() + " and blocked the Node.js event "
                            "loop (a synchronous loop, or promises that never yield), so the host was restarted",
                            notes=["Deployed cells were redeployed; module-level state was reset."],
                        )
                    )
                    return
                stopping = True
                deadline = time.perf_counter() + CANCEL_GRACE_S
                yield CANCEL
                continue
            message, payload = item
            event = message["ev"]
            if event == "head":
                response.status = message["status"]
                response.headers = Headers(message["headers"])
                response.ttfb_ms = self._ms(message)
                if not stopping:
                    deadline = self.started + self.stream_timeout
                yield HEAD
            elif event == "chunk":
                chunk = Chunk(self._ms(message), payload)
                response.body_size += len(payload)
                response.chunk_count += 1
                if self.keep_body:
                    response.chunks.append(chunk)
                yield chunk
            elif event == "log":
                line = LogLine(self._ms(message), message["level"], message["text"].rstrip("\n"))
                response.logs.append(line)
                yield line
            elif event == "error":
                response.error = self.describe(message["error"], "exception")
            elif event == "done":  # the body is complete; after() work may still be running
                response.elapsed_ms = self._ms(message)
            elif event == "end":
                if response.elapsed_ms is None:
                    response.elapsed_ms = self._ms(message)
                if message.get("trace"):
                    response.trace = Trace.from_message(message["trace"])
                if self.cancelled_by_user:
                    self._fail(HandlerError("cancelled", "AbortError", "the request was cancelled"))
                elif stopping:
                    self._fail(HandlerError("timeout", "TimeoutError", self._limit_message()))
                self.finished = True
                return
            elif event == "died":
                self._fail(
                    HandlerError(
                        "crash",
                        "HostCrashed",
                        self.crash_reason(),
                        notes=["The host was restarted and every cell redeployed."],
                    )
                )
                return

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
            response.elapsed_ms = round((time.perf_counter() - self.started) * 1000, 3)
        self.finished = True
