"""A widget that leaves a static picture of itself in the notebook, for when no kernel is there to draw it.

A widget's output only says "a widget with this model id was here": opened again without its kernel (on
GitHub, in nbviewer, in JupyterLab after a restart) it shows nothing of what it held. So a widget with a
snapshot is displayed as two outputs: the live widget, and right after it an HTML + text picture of its
state, refreshed (an ``update_display``) whenever that state changes. Where the widget is live,
nbruntime's JupyterLab extension hides the picture (``labextension/style/base.css``); everywhere else the
picture is what a reader sees.
"""

from __future__ import annotations

import uuid
from typing import Any

from IPython.display import display, update_display

#: The live widget's class; the stylesheet hides the snapshot that follows a widget with it.
LIVE_CLASS = "nbruntime-live"
#: The snapshot's outer element.
SNAPSHOT_CLASS = "nbruntime-snapshot"


class Snapshot:
    """Mixin for an ipywidget: ``snapshot()`` says what to show without a kernel (text/html, text/plain)."""

    _snapshot_id: str | None = None

    def snapshot(self) -> dict[str, str]:
        raise NotImplementedError

    def _ipython_display_(self) -> None:
        self.add_class(LIVE_CLASS)
        widget = self._repr_mimebundle_()
        widget["text/plain"] = f"{type(self).__name__} (a live widget: its last state is in the output below)"
        display(widget, raw=True)
        if self._snapshot_id is None:
            self._snapshot_id = uuid.uuid4().hex
        display(self._picture(), raw=True, display_id=self._snapshot_id)

    def refresh_snapshot(self) -> None:
        """Redraws the picture (wherever the widget was displayed) from the widget's state now."""
        if self._snapshot_id is not None:
            update_display(self._picture(), raw=True, display_id=self._snapshot_id)

    def _picture(self) -> dict[str, Any]:
        picture = self.snapshot()
        return {**picture, "text/html": f'<div class="{SNAPSHOT_CLASS}">{picture["text/html"]}</div>'}
