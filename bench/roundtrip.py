"""Request round trip from Python, side by side with the same handler called inside Node.js.

Run: ``python bench/roundtrip.py``. Both are measured in this one run on this machine; the figure that
matters is the ratio. Results go to ``bench/results/roundtrip.json`` and ``docs/benchmarks.md``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbruntime
from nbruntime.host import node_executable

HANDLER = "export function GET(request) { return new Response('ok') }"
REQUESTS = 3000
WARMUP = 300

# The baseline: the same handler, called in a loop inside one Node.js process, body read to the end.
IN_NODE = """
const GET = (request) => new Response('ok');
const times = [];
for (let i = 0; i < %(total)d; i++) {
  const t = performance.now();
  const response = GET(new Request('http://localhost:3000/api/ok'));
  await response.arrayBuffer();
  times.push(performance.now() - t);
}
console.log(JSON.stringify(times.slice(%(warmup)d)));
"""


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {"median_ms": round(statistics.median(ordered), 4), "p99_ms": round(ordered[int(len(ordered) * 0.99)], 4)}


def in_node() -> dict[str, float]:
    script = IN_NODE % {"total": REQUESTS + WARMUP, "warmup": WARMUP}
    out = subprocess.run([node_executable(), "--input-type=module", "-e", script], capture_output=True, check=True,
                         text=True).stdout
    return summary(json.loads(out))


def from_python(runtime: str) -> dict[str, float]:
    with nbruntime.App() as app:
        app.deploy("app/api/ok/route.ts", HANDLER, runtime=runtime)
        samples = []
        for i in range(REQUESTS + WARMUP):
            started = time.perf_counter()
            app.request("GET", "/api/ok")
            if i >= WARMUP:
                samples.append((time.perf_counter() - started) * 1000)
    return summary(samples)


def main() -> None:
    baseline = in_node()
    results = {"baseline_in_node": baseline}
    for runtime in ("edge", "nodejs"):
        measured = from_python(runtime)
        measured["ratio_to_baseline"] = round(measured["median_ms"] / baseline["median_ms"], 2)
        results[f"nbruntime_{runtime}"] = measured
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "roundtrip.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
