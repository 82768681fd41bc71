"""What the Next.js pipeline costs per request: the same route with no middleware, a matcher miss, and
middleware (edge and node) that runs and calls ``NextResponse.next()``, side by side in one run.

Run: ``python bench/pipeline.py``. The Node-side time comes from each response's trace (the pipeline's
own steps), the round trip from Python; results go to ``bench/results/pipeline.json``.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from peers import MIDDLEWARE, TRIVIAL

import nbruntime

REQUESTS = 1000
WARMUP = 100


def measure(app: nbruntime.App, path: str) -> dict[str, float]:
    round_trips, in_node = [], []
    for i in range(REQUESTS + WARMUP):
        started = time.perf_counter()
        response = app.request("GET", path)
        if i >= WARMUP:
            round_trips.append((time.perf_counter() - started) * 1000)
            in_node.append(response.trace.steps[-1].end_ms)
    ordered = sorted(round_trips)
    return {
        "round_trip_median_ms": round(statistics.median(ordered), 4),
        "round_trip_p99_ms": round(ordered[int(len(ordered) * 0.99)], 4),
        "node_pipeline_median_ms": round(statistics.median(in_node), 4),
    }


def main() -> None:
    results = {}
    with nbruntime.App() as app:
        app.deploy("app/api/ok/route.ts", TRIVIAL)
        app.deploy("app/other/route.ts", TRIVIAL)
        results["no middleware"] = measure(app, "/api/ok")
        app.deploy("middleware.ts", MIDDLEWARE)
        results["matcher miss"] = measure(app, "/other")
        results["edge middleware, next()"] = measure(app, "/api/ok")
        app.deploy("middleware.ts", MIDDLEWARE, runtime="nodejs")
        results["node middleware, next()"] = measure(app, "/api/ok")
    for name, figures in results.items():
        print(f"{name:<26} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
    out = Path(__file__).parent / "results" / "pipeline.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
