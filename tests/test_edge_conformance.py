"""The runtime conformance cases: what a real Next.js 15.5 server answered, the emulator must answer."""

import json
from pathlib import Path

import pytest
from corpus_comparer import CORPUS, compare

import nbruntime

CASES = CORPUS / "cases"


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


# Our own cases, recorded with the shared oracle (Next 15.5.29 on Node 20): tests/edge_cases.
OWN = Path(__file__).parent / "edge_cases"


@pytest.mark.parametrize(
    "case",
    [
        "edge-eval-build",
        "edge-unused-eval",
        "edge-middleware-eval-build",
        "edge-middleware-allow-dynamic",
        "edge-node-crypto-build",
        "edge-bundler-globals",
        "edge-middleware-imports-fs",
        "edge-middleware-imports-crypto",
    ],
)
def test_own_recorded_case_matches(case):
    result = compare.run_case(nbruntime, OWN / case, verbose=False)
    assert result["build_match"], result.get("build_message")
    failures = [f"{r['name']}: {r['why']}" for r in result["responses"] if not r["strict"]]
    assert not failures, failures


# Globals of Next's own bundle (webpack's chunk registry, manifests, its eval wrappers): not the runtime's.
NEXT_BUNDLE_INTERNALS = {
    "_ENTRIES", "__BUILD_MANIFEST", "__INTERCEPTION_ROUTE_REWRITE_MANIFEST", "__NEXT_FONT_MANIFEST",
    "__REACT_LOADABLE_MANIFEST", "__RSC_MANIFEST", "__RSC_SERVER_MANIFEST", "__import_unsupported",
    "__incrementalCache", "__incrementalCacheShared", "__next_eval__", "__next_webassembly_compile__",
    "__next_webassembly_instantiate__", "webpackChunk_N_E",
}  # fmt: skip


@pytest.fixture(scope="module")
def runtime_apis():
    """Each request of the edge-runtime-apis case: (what Next answered, what nbruntime answers)."""
    case = OWN / "edge-runtime-apis"
    observed = json.loads((case / "observed.json").read_text())["responses"]
    with nbruntime.App() as app:
        for path, source in compare.case_files(case):
            app.deploy(path, source)
        yield {r["request"]["path"]: (r, app.request("GET", r["request"]["path"])) for r in observed}


@pytest.mark.parametrize("path", ["/api/stubs", "/api/buffer", "/api/node-globals"])
def test_runtime_apis_answer_as_next(runtime_apis, path):
    expected, response = runtime_apis[path]
    ok, _, why = compare.compare_response(expected, response)
    assert ok, why


def test_process_polyfill_answers_as_next(runtime_apis):
    expected, response = runtime_apis["/api/process"]
    want, got = json.loads(expected["body"]), response.json()
    # next start's own process has an `emit` the sandbox copies as a non-function; ours has none to copy
    assert want["types"].pop("emit") == "boolean" and got["types"].pop("emit") == "undefined"
    # process.on is absent: calling it is a TypeError whose text names the minified variables of Next's bundle
    assert want["calls"].pop("on") == "TypeError: a[c] is not a function"
    assert got["calls"].pop("on") == "TypeError: p[name] is not a function"
    assert got == want


def test_allowed_modules_export_what_next_exports(runtime_apis):
    expected, response = runtime_apis["/api/modules"]
    want, got = json.loads(expected["body"]), response.json()
    # nbruntime adds `default` so that `import util from 'util'` links, as webpack's interop allows
    for name in ("buffer", "events", "assert", "util", "async_hooks"):
        got[name].remove("default")
    assert got == want


def test_global_scope_matches_next_but_for_its_bundle(runtime_apis):
    expected, response = runtime_apis["/api/globals"]
    want, got = json.loads(expected["body"]), response.json()
    assert got.pop("enumerable") == [n for n in want.pop("enumerable") if n not in NEXT_BUNDLE_INTERNALS]
    # Node 20 (the recording) lists fewer non-enumerable names than Node 24 does; none is missing here
    assert set(want.pop("names")) - NEXT_BUNDLE_INTERNALS <= set(got.pop("names"))
    assert got == want


def test_wasm_from_bytes_is_refused_where_next_start_runs_it(runtime_apis):
    """A deliberate difference: Vercel's edge refuses compiling bytes; next start does not (rules.json says so)."""
    expected, response = runtime_apis["/api/wasm"]
    assert json.loads(expected["body"]) == {"instantiated": "object"}
    assert response.json()["error"] == "CompileError"
