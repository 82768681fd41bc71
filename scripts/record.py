"""Records conformance cases with a real Next.js: ``next build`` + ``next start``, via the corpus's oracles.

usage: python scripts/record.py CASE_DIR [CASE_DIR ...] [--next 16]

The oracle (``tests/corpus/oracle`` for 15.5, ``oracle16`` for 16) is copied once into a cache folder and
its pinned packages installed there with npm (the corpus was recorded on the ``node`` found on PATH,
Node 20); each case's ``observed.json`` is then written beside its ``requests.json``. Needs the npm registry.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
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


def main(argv: list[str]) -> int:
    name = "oracle16" if "--next" in argv and argv[argv.index("--next") + 1].startswith("16") else "oracle"
    cases = [a for i, a in enumerate(argv) if not a.startswith("--") and (i == 0 or argv[i - 1] != "--next")]
    if not cases:
        print(__doc__.strip())
        return 2
    run_case = oracle(name) / "run_case.py"
    return subprocess.run([sys.executable, str(run_case), *map(str, map(Path.resolve, map(Path, cases)))]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
