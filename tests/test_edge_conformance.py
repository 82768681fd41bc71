"""The runtime conformance cases: what a real Next.js 15.5 server answered, the emulator must answer."""

import importlib.util
import json
from pathlib import Path

import pytest

import nbruntime

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
CASES = CONFORMANCE / "cases"


def _compare_module():
    spec = importlib.util.spec_from_file_location("conformance_compare", CONFORMANCE / "compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _compare_module()


@pytest.mark.parametrize(
    "case",
    [
        "13-edge-stream-chunks",
        "17-structured-clone",
        "20-node-route-crypto-fs",
        "21-edge-import-fs",
        "23-edge-process-cwd",
    ],
)
def test_whole_case_matches_what_next_answered(case):
    result = compare.run_case(nbruntime, CASES / case, verbose=False)
    assert result["build_match"], result.get("build_message")
    failures = [f"{r['name']}: {r['why']}" for r in result["responses"] if not r["strict"]]
    assert not failures, failures


def _observed(case: str) -> dict:
    return json.loads((CASES / case / "observed.json").read_text())


def test_edge_route_of_the_urlpattern_case(app):
    case = "15-urlpattern"
    route = "app/api/route-info/route.ts"
    app.deploy(route, (CASES / case / route).read_text())
    observed = [r for r in _observed(case)["responses"] if r["request"]["path"].startswith("/api/route-info")]
    assert len(observed) == 3
    for expected in observed:
        response = app.request("GET", expected["request"]["path"], headers={"accept-encoding": "identity"})
        ok, _, why = compare.compare_response(expected, response)
        assert ok, why


def test_atob_on_bad_base64_throws_what_next_threw(app):
    """The middleware of case 10 answers `bad base64: <error name>`; the same atob call in an edge route."""
    (expected,) = [r for r in _observed("10-basic-auth-atob")["responses"] if r["status"] == 400]
    app.deploy(
        "app/api/atob/route.ts",
        "export const runtime = 'edge'\n"
        "export function GET(req: Request) {\n"
        "  try { atob(req.headers.get('authorization')!.slice(6)); return new Response('decoded') }\n"
        "  catch (e) { return new Response(`bad base64: ${(e as Error).name}`, { status: 400 }) }\n"
        "}\n",
    )
    response = app.request(
        "GET", "/api/atob", headers={"authorization": expected["request"]["headers"]["authorization"]}
    )
    assert (response.status, response.text) == (expected["status"], expected["body"])


def test_import_fs_in_edge_is_refused_like_next_build_refused_it(app):
    build = _observed("21-edge-import-fs")["build"]
    assert not build["ok"] and "Module not found: Can't resolve 'fs'" in build["stderr_tail"]
    route = "app/api/read/route.ts"
    with pytest.raises(nbruntime.BuildError) as raised:
        app.deploy(route, (CASES / "21-edge-import-fs" / route).read_text())
    (problem,) = [p for p in raised.value.problems if p.severity == "error"]
    assert "./app/api/read/route.ts:1:1" in build["stderr_tail"]
    assert (problem.file, problem.line, problem.column, problem.api) == (route, 1, 1, "fs")
    assert problem.message.startswith("Module not found: Can't resolve 'fs'")
    assert "> 1 | import fs from 'fs'" in problem.frame
