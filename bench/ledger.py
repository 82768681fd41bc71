"""Where a request's time goes: the kernel's side, and the host's parts read from Node's CPU profile, in µs a request.

Run: ``python bench/ledger.py [--app edge|nodejs|middleware] [--requests 20000] [--batch] [--functions]``. The host
runs under ``node --cpu-prof`` (a wrapper script given as ``NBRUNTIME_NODE``) while the app answers the requests one
at a time (``--batch``: ``request_many`` of 1,000 at once). Each sample's time goes to the innermost frame on its stack
that is a part: the host's own code (a module of ``nbruntime/js``; ``--functions``: its functions apart), a cell's, a
framework module's (``next/server``), or one of the engine's Web API constructors. So a sample in undici's Headers
called by the pipeline is the pipeline's, and the ledger says what each part of the engine costs, whatever it calls.
Only the samples taken while the timed requests ran count. One request at a time, the kernel's side is timed around
its pipe write and its decoding of the answer. Results go to ``bench/results/ledger.json``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from paired import APPS, started

import nbruntime
import nbruntime.host
from nbruntime.host import node_executable

HERE = Path(__file__).parent
HOST_JS = "/nbruntime/js/"
VENDOR = "/nbruntime/js/vendor/"
# The edge engine's constructors (undici, bundled in @edge-runtime/primitives), told apart from their callers.
ENGINE = {"_Request": "the engine's Request", "_Request2": "the engine's Request",
          "_Response": "the engine's Response", "_Headers": "the engine's Headers"}
# V8's own pseudo-frames.
PSEUDO = {"(garbage collector)": "garbage collection", "(idle)": "idle (waiting for the kernel)",
          "(program)": "V8 and Node.js, no JavaScript frame"}
WARMUP = 2000
# The parts where the host waits for the kernel rather than works.
WAITING = ("idle", "linger.mjs")
# A request one at a time, from Python: the kernel's parts (timed around its pipe write and its decoding) and the rest.
SPANS = ("the kernel, up to its write", "the host and the pipes", "the kernel decoding the answer",
         "the kernel, after decoding")
# A sample every 100 µs made the round trip half as long again; every 500 µs, a tenth or two longer.
INTERVAL_US = 500
BATCH = 1000


def bucket_of(frame: dict, cells: list[str], functions: bool = False) -> str | None:
    """The part of the host a frame is, if it is one the ledger tells apart (``functions``: a host module's functions
    apart)."""
    name, url = frame["functionName"], frame["url"]
    if name in PSEUDO and not url:
        return PSEUDO[name]
    if name in ENGINE and VENDOR in url:
        return ENGINE[name]
    if any(url.endswith(cell) for cell in cells):
        return "the cells' code"
    if url.startswith("next/"):  # the framework's modules, named by their specifier
        return url
    if HOST_JS in url and VENDOR not in url:
        module = url.rsplit("/", 1)[-1]
        return f"{module} {name or '(anonymous)'}:{frame['lineNumber'] + 1}" if functions else module
    return None


def ledger(profile: dict, cells: list[str], window: tuple[float, float], functions: bool = False) -> dict[str, float]:
    """Milliseconds per part within ``window`` (monotonic µs, the profile's clock): each sample's time goes to the
    innermost frame on its stack that is a part."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", [])}
    buckets: dict[int, str] = {}

    def bucket(node_id: int) -> str:
        unresolved, at = [], node_id
        while at is not None and at not in buckets:
            own = bucket_of(nodes[at]["callFrame"], cells, functions)
            if own:
                buckets[at] = own
                break
            unresolved.append(at)
            at = parent.get(at)
        found = buckets[at] if at is not None else "Node.js internals (event loop, streams)"
        for each in unresolved:
            buckets[each] = found
        return buckets[node_id]

    samples, deltas = profile["samples"], profile["timeDeltas"]
    spent: dict[str, float] = collections.Counter()
    at = profile["startTime"]
    for index, node_id in enumerate(samples):  # a sample's time is the gap to the next one
        at += deltas[index]
        gap = deltas[index + 1] if index + 1 < len(deltas) else 0
        if window[0] <= at < window[1]:
            spent[bucket(node_id)] += gap / 1000
    return dict(spent)


@contextlib.contextmanager
def kernel_marks() -> Iterator[dict[str, float]]:
    """When, during a request from Python, its write to the host ended, and the answer's decoding began and ended."""
    marks: dict[str, float] = {}
    write, feed = nbruntime.host.Channel._write, nbruntime.host.FrameDecoder.feed

    def timed_write(channel: nbruntime.host.Channel, data: bytes) -> bool:
        written = write(channel, data)
        marks["written"] = time.perf_counter()
        return written

    def timed_feed(decoder: nbruntime.host.FrameDecoder, data: bytes) -> list:
        marks["read"] = time.perf_counter()
        frames = feed(decoder, data)
        marks["decoded"] = time.perf_counter()
        return frames

    nbruntime.host.Channel._write, nbruntime.host.FrameDecoder.feed = timed_write, timed_feed
    try:
        yield marks
    finally:
        nbruntime.host.Channel._write, nbruntime.host.FrameDecoder.feed = write, feed


def run(app_kind: str, requests: int, batch: bool, folder: Path) -> tuple[list[float], tuple[float, float], dict]:
    """Round trips (ms, or ms per request for batches) of an app whose host is profiled into ``folder``, when they
    were sent (monotonic µs: the clock of V8's profiles on Linux), and (one at a time) their spans (µs)."""
    wrapper = folder / "node"
    wrapper.write_text(f'#!/bin/sh\nexec "{node_executable()}" --cpu-prof --cpu-prof-dir="{folder}" '
                       f'--cpu-prof-interval={INTERVAL_US} "$@"\n')
    wrapper.chmod(0o755)
    os.environ["NBRUNTIME_NODE"] = str(wrapper)
    taken: list[float] = []
    spans: dict[str, list[float]] = {name: [] for name in SPANS}
    try:
        with started(nbruntime.host.HOST_SCRIPT, app_kind) as app, kernel_marks() as marks:
            for _ in range(WARMUP):
                app.request("GET", "/api/ok")
            began_all = time.monotonic()
            for _ in range(requests // BATCH if batch else requests):
                began = time.perf_counter()
                if batch:
                    app.request_many([("GET", "/api/ok")] * BATCH)
                else:
                    app.request("GET", "/api/ok")
                ended = time.perf_counter()
                taken.append((ended - began) * 1000 / (BATCH if batch else 1))
                if not batch:
                    at = [began, marks["written"], marks["read"], marks["decoded"], ended]
                    for name, (start, end) in zip(SPANS, itertools.pairwise(at), strict=True):
                        spans[name].append((end - start) * 1e6)
            window = (began_all * 1e6, time.monotonic() * 1e6)
    finally:
        del os.environ["NBRUNTIME_NODE"]
    return taken, window, {name: statistics.median(values) for name, values in spans.items() if values}


def main_thread_profile(folder: Path) -> dict:
    """The host's main thread's profile (thread 0), written as the host exits."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [path for path in folder.glob("*.cpuprofile") if path.name.split(".")[4] == "0"]
        if found:
            try:
                return json.loads(found[0].read_text())
            except json.JSONDecodeError:  # still being written
                pass
        time.sleep(0.2)
    raise SystemExit("the host wrote no CPU profile")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", choices=sorted(APPS), default="edge")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--batch", action="store_true", help="request_many of 1,000 at once")
    parser.add_argument("--functions", action="store_true", help="the host modules' functions apart")
    args = parser.parse_args()
    if args.requests < (BATCH if args.batch else 1):
        parser.error(f"--requests must be at least {BATCH if args.batch else 1}")
    with tempfile.TemporaryDirectory() as folder:
        taken, window, spans = run(args.app, args.requests, args.batch, Path(folder))
        profile = main_thread_profile(Path(folder))
    cells = [file for file, _, _ in APPS[args.app]]
    counted = len(taken) * (BATCH if args.batch else 1)
    spent = ledger(profile, cells, window, args.functions)
    if sum(spent.values()) < (window[1] - window[0]) / 2000:
        raise SystemExit("the profile's clock is not the monotonic clock here: its samples miss the timed window")
    per_request = {part: ms * 1000 / counted for part, ms in spent.items()}
    busy = sum(us for part, us in per_request.items() if not part.startswith(WAITING))
    round_trip = statistics.median(taken) * 1000
    if not args.functions:
        results = HERE / "results" / "ledger.json"
        recorded = json.loads(results.read_text()) if results.exists() else {}
        recorded[f"{args.app}{'_batch' if args.batch else ''}"] = {
            "round_trip_us": round(round_trip, 1), "host_busy_us": round(busy, 1),
            "round_trip_spans_us": {name: round(us, 1) for name, us in spans.items()},
            "parts_us": {part: round(us, 1) for part, us in per_request.items()}}
        results.write_text(json.dumps(recorded, indent=2) + "\n")
    mode = "request_many of 1,000" if args.batch else "one request at a time"
    print(f"{args.app}, {mode}: a round trip of {round_trip:.0f} µs (median), "
          f"the host busy {busy:.0f} µs a request (mean)")
    for name, us in spans.items():
        print(f"  {name:48} {us:10.1f} (median)")
    print(f"{'part':50} {'µs/request':>10} {'of busy':>8}")
    for part, us in sorted(per_request.items(), key=lambda item: -item[1]):
        share = "" if part.startswith(WAITING) else f"{us / busy:8.1%}"
        print(f"{part:50} {us:10.1f} {share:>8}")


if __name__ == "__main__":
    main()
