"""One cell under Edge and Node.js side by side: the verdicts a real build of both variants gives."""

import json
from pathlib import Path

import pytest
from corpus_comparer import CORPUS
from IPython.utils.capture import capture_output

import nbruntime
from nbruntime.routes import file_kind, route_for
from nbruntime.segment import declared_runtime, segment_config_error


def test_edge_build_failure_against_node_success_is_the_one_difference():
    # Next.js 15.5 fails the edge build of an `fs` import ("Module not found", shared conformance case
    # 21-edge-import-fs) and serves the same code under the Node.js runtime (case 20-node-route-crypto-fs).
    result = nbruntime.compare("app/api/read/route.ts", "import fs from 'fs'\n"
                               "export function GET() { return new Response(typeof fs.readFileSync) }", ["/api/read"])
    assert [(d.what, d.node) for d in result.differences] == [("build", "builds; answers 200")]
    assert result.differences[0].edge.startswith("fails at build: `fs`")
    assert result.summary.startswith("differs: deploy build: edge fails at build")
    assert result.node.responses[0].text == "function"


def test_run_time_failure_on_edge_names_the_api():
    # process.cwd() builds on edge and throws when called (case 23-edge-process-cwd); Node.js has it.
    result = nbruntime.compare("app/api/cwd/route.ts",
                               "export function GET() { return Response.json({ ok: typeof process.cwd() }) }")
    assert (result.edge.responses[0].status, result.node.responses[0].status) == (500, 200)
    assert "process.cwd" in result.summary and result.summary.startswith("differs: GET /api/cwd error")


def test_identical_code_and_explained_framework_differences():
    same = nbruntime.compare("middleware.ts", "export function middleware() { return new Response('hi') }", ["/"])
    assert same.identical and same.summary.startswith("identical")
    assert any("proxy.ts" in note for note in same.notes)
    route = nbruntime.compare("app/api/x/route.ts", "export function GET() { return new Response('x') }")
    assert [d.what for d in route.differences] == ["header vary"]
    assert "RSC `vary`" in route.summary


def test_other_cells_of_the_app_are_deployed_on_both_sides():
    with nbruntime.App() as app:
        app.deploy("lib/data.ts", "export const data = { n: 1 }")
        result = nbruntime.compare("app/api/d/route.ts", "import { data } from '@/lib/data'\n"
                                   "export const GET = () => Response.json(data)", ["GET /api/d"], app=app)
    assert [r.json() for r in (result.edge.responses[0], result.node.responses[0])] == [{"n": 1}, {"n": 1}]


def test_compare_magic_shows_both_sides(ipython):
    with capture_output() as captured:
        ipython.run_cell("%%compare app/api/t/route.ts -r 'GET /api/t'\n"
                    "export function GET() { return new Response(String(typeof setImmediate)) }")
    text = captured.outputs[0].data["text/plain"]
    assert text.startswith("app/api/t/route.ts: edge vs nodejs")
    assert "GET /api/t: edge 200" in text and "node 200" in text


ROOT = Path(__file__).parents[1]
CASE_DIRS = [CORPUS / "cases", ROOT / "tests" / "edge_cases", ROOT / "tests" / "conformance"]


HARNESS = {"requests.json", "observed.json", "compare.json", "expected.json"}


def case_files(case: Path) -> dict[str, str]:
    """The app's code and the JSON files it may import (not the recording's own files)."""
    return {p.relative_to(case).as_posix(): p.read_text() for p in sorted(case.rglob("*"))
            if p.is_file() and p.suffix in (".ts", ".tsx", ".js", ".json") and p.name not in HARNESS}


def edge_entries(files: dict[str, str]) -> list[str]:
    """The files a real build ran on the edge runtime: edge routes, and middleware not set to nodejs. A route whose
    segment config the build refuses never got a runtime (segment-config-values): it fails on either."""
    return [path for path, source in files.items()
            if (file_kind(path) == "route" and declared_runtime(source, path) == "edge"
                and segment_config_error(source, path, route_for(path).pattern) is None)
            or (file_kind(path) == "middleware" and declared_runtime(source, path) != "nodejs")]


# Every recorded case with edge code in it (the node-only ones have no edge variant to compare).
EDGE_CASES = sorted(case for folder in CASE_DIRS if folder.exists() for case in folder.iterdir()
                    if (case / "observed.json").exists() and edge_entries(case_files(case)))


@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda case: case.name)
def test_comparison_gives_each_recorded_case_the_build_verdicts_of_both_variants(case):
    # The edge side must match what `next build` answered for the recorded app (observed.json); the nodejs
    # side of the same files builds, because the Node.js runtime has all of Node (reference §3.5).
    files = case_files(case)
    built = json.loads((case / "observed.json").read_text())["build"]["ok"]
    verdicts = []
    for entry in edge_entries(files):
        with nbruntime.App() as app:
            for path, source in files.items():
                if path != entry:
                    try:
                        app.deploy(path, source)
                    except nbruntime.BuildError:
                        pass  # another entry of a failing app: compared on its own turn
            result = nbruntime.compare(entry, files[entry], [], app=app)
        assert result.node.build_error is None, f"{entry}: {result.node.build_error}"
        verdicts.append(result.edge.build_error is None)
    assert all(verdicts) == built, f"edge build verdicts {verdicts}, next build said ok={built}"
