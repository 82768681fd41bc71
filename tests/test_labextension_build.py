"""The prebuilt JupyterLab extension: committed in step with its sources, shipped in the wheel, enabled.

Users get the extension without npm because ``nbruntime/labextension`` (the build output, ~40 KB) is
committed; these tests fail when it is older than ``labextension/`` or when packaging stops carrying it.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]
SOURCES = ROOT / "labextension"
BUILT = ROOT / "nbruntime" / "labextension"


def source_hash() -> str:
    """The hash ``labextension/stamp.mjs`` records at build time, computed the same way."""
    files = ["package.json", "tsconfig.json"]
    for folder in ("src", "style"):
        files += [p.relative_to(SOURCES).as_posix() for p in (SOURCES / folder).rglob("*") if p.is_file()]
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\n".encode())
        digest.update((SOURCES / name).read_bytes())
        digest.update(b"\n")
    return digest.hexdigest()


def test_the_committed_build_was_made_from_the_current_sources():
    recorded = (BUILT / "sources.sha256").read_text().strip()
    assert recorded == source_hash(), (
        "nbruntime/labextension is stale: run `jlpm install && jlpm build:prod` in labextension/ and commit it"
    )
    built = json.loads((BUILT / "package.json").read_text())
    source = json.loads((SOURCES / "package.json").read_text())
    assert (built["name"], built["version"]) == (source["name"], source["version"])
    assert (BUILT / built["jupyterlab"]["_build"]["load"]).is_file()


def test_the_wheel_carries_the_extension_and_enables_the_server_endpoint(built_wheel):
    wheel = built_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    data = next(n.split("/data/")[0] for n in names if "/data/" in n) + "/data/"
    labextension = data + "share/jupyter/labextensions/nbruntime/"
    built = json.loads((BUILT / "package.json").read_text())["jupyterlab"]["_build"]["load"]
    assert {labextension + "package.json", labextension + "install.json", labextension + built} <= names
    config = data + "etc/jupyter/jupyter_server_config.d/nbruntime.json"
    assert json.loads(zipfile.ZipFile(wheel).read(config)) == {
        "ServerApp": {"jpserver_extensions": {"nbruntime.server": True}}}


def test_jupyter_lists_the_installed_extension_as_enabled_and_ok():
    result = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True,
                            text=True, timeout=120)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    version = re.escape(json.loads((SOURCES / "package.json").read_text())["version"])
    assert re.search(rf"^\s*nbruntime v{version} enabled OK \(python, nbruntime\)$", listing, re.M), listing
