"""The host's JavaScript at another commit against this tree's, paired: what one engine change is worth here.

Run: ``python bench/paired.py COMMIT [--app edge|nodejs|middleware] [--blocks 12] [--batch]``. Two apps serve the same
route (behind the same middleware, for ``middleware``) and answer in alternating rounds of 100 requests, one with its
host from COMMIT (a git worktree, removed afterwards) and one with the installed nbruntime's (this tree's, installed
with ``pip install -e .``), so the machine's drift weighs on both alike. Each block of 1,000 requests to each gives the
ratio of their medians. Run after run, one engine's round trip moved by 30 % on these machines within minutes; a
block's ratio moves by about 10 % (two hosts of the same commit), the median of a dozen by a few. Only the host's
JavaScript differs: both apps run the same Python. ``--batch``: each block is instead 5 alternating rounds of
``request_many`` of 1,000, and gives the ratio of their median rates (requests a second, so above 1 is faster).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from peers import MIDDLEWARE, TRIVIAL

import nbruntime
import nbruntime.host

HERE = Path(__file__).parent
APPS = {
    "edge": [("app/api/ok/route.ts", TRIVIAL, "edge")],
    "nodejs": [("app/api/ok/route.ts", TRIVIAL, "nodejs")],
    # the middleware on the edge, as by default in Next 15
    "middleware": [("app/api/ok/route.ts", TRIVIAL, "nodejs"), ("middleware.ts", MIDDLEWARE, None)],
}
ROUND = 100
ROUNDS_PER_BLOCK = 10
BATCH_REQUESTS = [("GET", "/api/ok")] * 1000
BATCH_ROUNDS_PER_BLOCK = 5


@contextlib.contextmanager
def host_at(commit: str) -> Iterator[Path]:
    """The host script of ``commit``, in a worktree that borrows this tree's installed edge engine."""
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "tree"
        git = ["git", "-C", str(HERE), "worktree"]
        subprocess.run([*git, "add", "--detach", "--quiet", str(tree), commit], check=True)
        try:
            vendor = Path("nbruntime", "js", "vendor", "node_modules")
            (tree / vendor).symlink_to(Path(nbruntime.__file__).parent.parent / vendor)
            yield tree / "nbruntime" / "js" / "host.mjs"
        finally:
            subprocess.run([*git, "remove", "--force", str(tree)], check=True)


def started(script: Path, app_kind: str) -> nbruntime.App:
    """An app whose host runs ``script``, its cells deployed and answering."""
    nbruntime.host.HOST_SCRIPT = script  # read when the host starts, which the first deploy waits for
    app = nbruntime.App()
    for file, source, runtime in APPS[app_kind]:
        app.deploy(file, source, runtime)
    assert app.request("GET", "/api/ok").status == 200
    return app


def blocks(apps: list[nbruntime.App], count: int, rounds: int, sample: Callable[[nbruntime.App], list[float]]
           ) -> list[list[float]]:
    """Per app, the median of each block's samples: ``rounds`` rounds, the apps taking turns, ``sample`` giving one
    app's round."""
    medians: list[list[float]] = [[] for _ in apps]
    for _ in range(count):
        samples: list[list[float]] = [[] for _ in apps]
        for _ in range(rounds):
            for app, taken in zip(apps, samples, strict=True):
                taken.extend(sample(app))
        for app_medians, taken in zip(medians, samples, strict=True):
            app_medians.append(statistics.median(taken))
    return medians


def round_trips(app: nbruntime.App) -> list[float]:
    """A round of requests one at a time: each one's round trip (ms)."""
    taken = []
    for _ in range(ROUND):
        began = time.perf_counter()
        app.request("GET", "/api/ok")
        taken.append((time.perf_counter() - began) * 1000)
    return taken


def batch_rate(app: nbruntime.App) -> list[float]:
    """A round of one ``request_many``: its rate (requests a second)."""
    began = time.perf_counter()
    app.request_many(BATCH_REQUESTS)
    return [len(BATCH_REQUESTS) / (time.perf_counter() - began)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the commit whose host is the baseline")
    parser.add_argument("--app", choices=sorted(APPS), default="edge")
    parser.add_argument("--blocks", type=int, default=12)
    parser.add_argument("--batch", action="store_true", help="compare request_many's rates instead")
    args = parser.parse_args()
    this_tree = nbruntime.host.HOST_SCRIPT
    with host_at(args.commit) as baseline:
        apps = [started(baseline, args.app), started(this_tree, args.app)]
        try:
            if args.batch:
                for app in apps:  # (the host's first batches grow its heap)
                    for _ in range(3):
                        batch_rate(app)
                before, after = blocks(apps, args.blocks, BATCH_ROUNDS_PER_BLOCK, batch_rate)
            else:
                before, after = blocks(apps, args.blocks, ROUNDS_PER_BLOCK, round_trips)
        finally:
            for app in apps:
                app.close()
    ratios = [now / then for then, now in zip(before, after, strict=True)]
    batch = f"request_many of {len(BATCH_REQUESTS):,}, median rate (/s) per block of {BATCH_ROUNDS_PER_BLOCK}"
    what = batch if args.batch else f"median round trip (ms) per block of {ROUND * ROUNDS_PER_BLOCK:,} requests"
    shown = "{:.0f}" if args.batch else "{:.3f}"
    print(f"{args.app}, {what}")
    print(f"{args.commit[:12]:>12}: " + " ".join(shown.format(value) for value in before))
    print(f"{'this tree':>12}: " + " ".join(shown.format(value) for value in after))
    print(f"{'ratio':>12}: " + " ".join(f"{ratio:.2f}" for ratio in ratios))
    print(f"this tree / {args.commit[:12]}: {statistics.median(ratios):.3f} (median of the blocks' ratios)")


if __name__ == "__main__":
    main()
