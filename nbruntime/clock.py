"""The app's clock: real time, plus however far the notebook has moved it forward.

The caches of ``next start`` (prerendered copies, ``unstable_cache``) measure ages with it, so a revalidation
window can be watched in a notebook without waiting: ``app.clock.advance(61)`` or ``%nbruntime advance 61s``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import App
    from .host import Host


class Clock:
    """Time as the app's caches see it."""

    def __init__(self, app: App):
        self._app = app
        #: Seconds added to the real time.
        self.offset = 0.0

    def now(self) -> float:
        """The app's time, in seconds since the epoch."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Moves the app's time forward (a cached copy older than its revalidate time is then stale)."""
        if seconds < 0:
            raise ValueError("the app's clock only moves forward")
        with self._app._lock:
            self.offset += seconds
            host = self._app._host
            if host is not None and host.alive:
                self.sync(host)

    def sync(self, host: Host) -> None:
        host.call(**self.message())

    def message(self) -> dict:
        """The host's operation that sets its clock to this one."""
        return {"op": "clock", "offsetMs": round(self.offset * 1000)}
