"""Mirrors the shared Next.js conformance corpus into ``tests/corpus``, so a clone carries what its tests need.

usage: python scripts/sync_corpus.py SHARED_CONFORMANCE_DIR [--check]

The corpus is data recorded from real Next.js servers (cases, their comparer, the oracles that record them):
it is copied as it is, never edited here. ``--check`` copies nothing and exits 1 if the two differ.
"""

from __future__ import annotations

import filecmp
import shutil
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "tests" / "corpus"
#: Installed or generated inside a corpus folder, never part of it.
IGNORED = {"node_modules", ".apps", "__pycache__", ".next"}


def files(root: Path) -> set[Path]:
    return {
        path.relative_to(root)
        for path in root.rglob("*")
        if path.is_file() and not IGNORED.intersection(path.relative_to(root).parts)
    }


def differences(source: Path, target: Path) -> list[str]:
    ours, theirs = files(target) if target.exists() else set(), files(source)
    changed = [p for p in ours & theirs if not filecmp.cmp(source / p, target / p, shallow=False)]
    return sorted(
        [f"+ {p}" for p in theirs - ours] + [f"- {p}" for p in ours - theirs] + [f"~ {p}" for p in changed]
    )


def sync(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*IGNORED))
    for path in [target, *target.rglob("*")]:  # the source may be read-only; our copy is ours to update
        path.chmod(path.stat().st_mode | 0o200)


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__.strip())
        return 2
    source = Path(args[0]).resolve()
    if not (source / "compare.py").exists():
        print(f"{source} is not a conformance corpus (no compare.py)")
        return 2
    changes = differences(source, TARGET)
    if "--check" in argv:
        print("\n".join(changes) or "tests/corpus is up to date")
        return 1 if changes else 0
    sync(source, TARGET)
    print(f"synced {len(changes)} changed file(s) into {TARGET.relative_to(TARGET.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
