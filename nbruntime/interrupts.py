"""Ctrl-C at a safe moment: work that must not stop half way holds SIGINT back, and gets it once done."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Runs the block with SIGINT held back, then delivers it (a kernel's KeyboardInterrupt) if it came.

    Signals reach only the main thread, so elsewhere (and where Python does not own the handler) this
    changes nothing.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield
        return
    came: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if came:
            signal.raise_signal(signal.SIGINT)
