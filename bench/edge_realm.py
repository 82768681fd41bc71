"""What the edge engine costs: @edge-runtime/vm realms against a hand-made vm context, and edge redeploys.

Run: ``python bench/edge_realm.py``. Both realm kinds are measured in one Node process in this run; the
redeploy figures are ``App.deploy`` of a route from Python (static check, compile, a realm for edge).
Results go to ``bench/results/edge_realm.json``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path

import nbruntime
from nbruntime.host import node_executable

EDGE_MJS = (Path(nbruntime.__file__).parent / "js" / "edge.mjs").as_uri()
REALMS = 200

# A hand-made realm, the alternative: a vm context given the host's Web API objects.
IN_NODE = """
const started = performance.now();
const { createEdgeContext } = await import(%(edge)s);
const vm = await import('node:vm');
createEdgeContext({});
const firstMs = performance.now() - started;
const WEB = ['fetch', 'Headers', 'Request', 'Response', 'URL', 'URLPattern', 'ReadableStream', 'TransformStream',
  'TextEncoder', 'TextDecoder', 'crypto', 'structuredClone', 'atob', 'btoa', 'setTimeout', 'setInterval',
  'clearTimeout', 'clearInterval', 'AbortController', 'AbortSignal', 'Blob', 'FormData', 'DOMException',
  'Event', 'EventTarget', 'performance', 'queueMicrotask', 'WebSocket', 'File'];
const handMade = () => {
  const sandbox = {};
  for (const name of WEB) sandbox[name] = globalThis[name];
  return vm.createContext(sandbox, { codeGeneration: { strings: false, wasm: true } });
};
function measure(make) {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const kept = [];
  const times = [];
  for (let i = 0; i < %(realms)d; i++) {
    const t = performance.now();
    kept.push(make());
    times.push(performance.now() - t);
  }
  gc();
  times.sort((a, b) => a - b);
  return { median_ms: times[times.length >> 1], p99_ms: times[Math.floor(times.length * 0.99)],
    heap_kb_per_realm: (process.memoryUsage().heapUsed - heapBefore) / 1024 / kept.length };
}
console.log(JSON.stringify({
  engine_first_realm_ms: firstMs,
  hand_made: measure(handMade),
  edge_runtime_vm: measure(() => createEdgeContext({})),
  rss_mb: process.memoryUsage().rss / 1e6,
}));
"""

ROUTE = "export const runtime = 'edge'\nexport function GET() { return new Response('v%d') }\n"


def realms() -> dict:
    code = IN_NODE % {"edge": json.dumps(EDGE_MJS), "realms": REALMS}
    out = subprocess.run(
        [node_executable(), "--expose-gc", "--input-type=module", "-e", code],
        capture_output=True,
        text=True,
        check=True,
        env={"NBRUNTIME_FD": "2"},
    )
    return json.loads(out.stdout)


def redeploys(count: int = 60, pause: float = 0.15) -> dict:
    """Redeploys a notebook user makes: a pause between them, in which the host makes a spare realm."""
    results = {}
    with nbruntime.App() as app:
        for runtime in ("edge", "nodejs"):
            app.deploy("app/api/v/route.ts", ROUTE % 0, runtime=runtime)
            times = []
            for i in range(1, count + 1):
                time.sleep(pause)
                start = time.perf_counter()
                app.deploy("app/api/v/route.ts", ROUTE % i, runtime=runtime)
                times.append((time.perf_counter() - start) * 1000)
            assert app.request("GET", "/api/v").text == f"v{count}"
            times.sort()
            results[runtime] = {"median_ms": statistics.median(times), "p99_ms": times[int(len(times) * 0.99) - 1]}
    return results


def main() -> None:
    results = {"realms": realms(), "app_deploy_from_python": redeploys()}
    target = Path(__file__).parent / "results" / "edge_realm.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
