"""The app's folder as a Next.js project: ``next start`` runs in a folder that holds a ``package.json``.

Node.js code reads it through ``process.cwd()`` (tests/conformance/production-env); the versions are the
ones the emulated Next.js releases pin, also written into exported projects.
"""

from __future__ import annotations

import json
from pathlib import Path

PACKAGES = {
    "15": {"next": "15.5.29", "react": "19.1.10", "react-dom": "19.1.10"},
    "16": {"next": "16.4.6", "react": "19.3.1", "react-dom": "19.3.1"},
}


def major(next_version: str) -> str:
    """'16' for Next 16, else '15'."""
    return "16" if str(next_version).startswith("16") else "15"


def ensure_package_json(folder: Path, next_version: str) -> None:
    """Gives the app's own folder a ``package.json``, as ``create-next-app`` would; one already there is kept."""
    target = folder / "package.json"
    if target.exists():
        return
    package = {
        "name": "nbruntime-app",
        "version": "0.1.0",
        "private": True,
        "scripts": {"build": "next build", "start": "next start"},
        "dependencies": PACKAGES[major(next_version)],
    }
    target.write_text(json.dumps(package, indent=2) + "\n")
