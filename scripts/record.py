"""Records conformance cases with a real Next.js: ``next build`` + ``next start``, via the corpus's oracles.

usage: python scripts/record.py CASE_DIR [CASE_DIR ...] [--next 16] [--packages GROUP_DIR]

The oracle (``tests/corpus/oracle`` for 15.5, ``oracle16`` for 16) is copied once into a cache folder and
its pinned packages installed there with npm (the corpus was recorded on the ``node`` found on PATH,
Node 20); each case's ``observed.json`` is then written beside its ``requests.json``. Needs the npm registry.
A ``tests/conformance16`` case holding only ``observed.json`` records the 15.5 case of its name under 16.

A case whose ``.env`` names a ``BACKEND_ORIGIN`` (another origin it proxies to) gets the tests' echo server there
while it is recorded (``tests/backend.py``).

``--packages GROUP_DIR`` names a folder whose ``package.json`` lists the npm packages the cases import (as in
``tests/packages/*`` and ``tests/corpus/packages``): they are installed beside Next.js in a copy of the oracle of
their own, so the cases build against them from the app's ``node_modules``, as in a real project.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
CORPUS = TESTS / "corpus"
sys.path.insert(0, str(TESTS))
import backend  # noqa: E402 (the tests' echo server, for cases that proxy to another origin)

CACHE = Path(os.environ.get("NBRUNTIME_ORACLE_CACHE", Path.home() / ".cache" / "nbruntime-oracle"))


def oracle(name: str) -> Path:
    """A writable copy of the oracle with its packages installed, made again when its lock file changes."""
    source = CORPUS / name
    digest = hashlib.sha256((source / "package-lock.json").read_bytes() + (source / "run_case.py").read_bytes())
    folder = CACHE / f"{name}-{digest.hexdigest()[:12]}"
    if not (folder / "node_modules" / "next" / "package.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(source, folder)
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is not on PATH: the oracle runs Next.js on the system's Node.js")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=folder, check=True)
    return folder


def with_packages(folder: Path, group: Path) -> Path:
    """A copy of an oracle with the packages of ``group/package.json`` installed beside its Next.js."""
    wanted = json.loads((group / "package.json").read_text()).get("dependencies", {})
    # file: dependencies are relative to the group's folder: make them absolute for the copy
    wanted = {name: f"file:{(group / spec[5:]).resolve()}" if spec.startswith("file:") else spec
              for name, spec in wanted.items()}
    digest = hashlib.sha256(json.dumps([folder.name, wanted], sort_keys=True).encode())
    for spec in wanted.values():  # a local tarball may change under the same name
        if spec.startswith("file:") and Path(spec[5:]).is_file():
            digest.update(Path(spec[5:]).read_bytes())
    target = CACHE / f"{folder.name}-packages-{digest.hexdigest()[:12]}"
    if not (target / "node_modules" / ".recorded-packages").exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in ("package.json", "package-lock.json", "run_case.py"):
            shutil.copy2(folder / name, target / name)
        manifest = json.loads((target / "package.json").read_text())
        manifest["dependencies"] = {**manifest.get("dependencies", {}), **wanted}
        (target / "package.json").write_text(json.dumps(manifest, indent=2))
        subprocess.run([shutil.which("npm") or "npm", "install", "--no-audit", "--no-fund"], cwd=target, check=True)
        (target / "node_modules" / ".recorded-packages").write_text(json.dumps(wanted))
    return target


#: How the oracle is run: with http.client sending a path's non-ASCII characters as their UTF-8 bytes, as curl does
#: (it sends ASCII only), so a case can ask for ``/café`` raw as well as percent-encoded. Other paths are unchanged.
RUN_ORACLE = """
import http.client, runpy, sys
http.client.HTTPConnection._encode_request = lambda self, request: request.encode("utf-8")
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def main(argv: list[str]) -> int:
    name = "oracle16" if "--next" in argv and argv[argv.index("--next") + 1].startswith("16") else "oracle"
    options = {"--next", "--packages"}
    cases = [a for i, a in enumerate(argv) if not a.startswith("--") and (i == 0 or argv[i - 1] not in options)]
    if not cases:
        print(__doc__.strip())
        return 2
    folder = oracle(name)
    if "--packages" in argv:
        folder = with_packages(folder, Path(argv[argv.index("--packages") + 1]).resolve())
    run_case = folder / "run_case.py"
    code = 0
    for case in map(Path.resolve, map(Path, cases)):
        twin = case.parent.parent / "conformance" / case.name
        if not (case / "requests.json").exists() and twin.is_dir():  # a 16 case of the 15 case's app and requests
            arguments = [str(twin), "--out", str(case / "observed.json")]
        else:
            arguments = [str(case)]
        with backend.serving(backend.origin_of(Path(arguments[0]))):
            code = subprocess.run([sys.executable, "-c", RUN_ORACLE, str(run_case), *arguments]).returncode or code
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
