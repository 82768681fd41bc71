"""The static compatibility check: one test for each rule of nbruntime/compat/rules.json."""

import pytest

import nbruntime
from nbruntime.compat import bundled, check, check_graph, erase_type_imports, explain, rules

EDGE_ROUTE = "app/api/x/route.ts"


def found(source: str, runtime: str = "edge") -> list[tuple[str, str, int, int]]:
    return [(p.name, p.api, p.line, p.column) for p in check(source, runtime, EDGE_ROUTE)]


def test_every_rule_has_its_words_and_a_test():
    tested = {name.removeprefix("test_rule_").replace("_", "-") for name in globals() if name.startswith("test_rule_")}
    assert tested == set(rules()), "each rule of the table needs a test_rule_<id> here"
    for rule in rules().values():
        assert rule.severity in ("error", "warning") and rule.phase in ("build", "run")
        assert rule.message and rule.hint and rule.link.startswith("https://")


def test_rule_node_module():
    source = "import fs from 'fs'\nimport { createHash } from 'node:crypto'\nexport * from 'node:path'\n"
    source += (
        "const os = await import('os')\nimport { Buffer } from 'node:buffer'\nimport { EventEmitter } from 'events'\n"
    )
    """An edge route importing a Node built-in fails next build (recorded: corpus case 21-edge-import-fs)."""
    assert found(source) == [
        ("node-module", "fs", 1, 1),
        ("node-scheme", "node:crypto", 2, 1),
        ("node-scheme", "node:path", 3, 1),
        ("node-module", "os", 4, 18),
    ]
    fs = check(source, path=EDGE_ROUTE)[0]
    assert (fs.severity, fs.phase) == ("error", "build")
    assert "fetch()" in fs.hint and "next dev" in fs.dev
    assert found("import x from 'some-package'\nimport y from './local'") == []


def test_rule_node_module_loaded():
    """Recorded (tests/edge_cases/edge-middleware-imports-fs, -crypto): middleware importing a Node built-in
    builds with a warning per import, and the module throws when used."""
    source = "import fs from 'fs'\nimport { createHash } from 'crypto'\nimport { Buffer } from 'buffer'\n"
    problems = check(source, path="middleware.ts")
    assert [(p.name, p.api, p.line, p.severity, p.phase) for p in problems] == [
        ("node-module-loaded", "fs", 1, "warning", "run"),
        ("node-module-loaded", "crypto", 2, "warning", "run"),
    ]
    assert "crypto.subtle.digest" in problems[1].hint
    # a lib file bundled into middleware gets the middleware's verdict, into an edge route the route's
    lib = {"lib/x.ts": "import os from 'os'\nexport const n = 1"}
    assert [p.name for p in check_graph("middleware.ts", {"middleware.ts": "import '@/lib/x'", **lib})] == [
        "node-module-loaded"
    ]
    assert [p.name for p in check_graph(EDGE_ROUTE, {EDGE_ROUTE: "import '@/lib/x'", **lib})] == ["node-module"]


def test_rule_node_scheme():
    """Recorded (corpus packages/13-middleware-imports-node-fs, tests/edge_cases/edge-node-crypto-build): a node:
    URI fails next build on edge, in middleware as in routes, with UnhandledSchemeError."""
    assert [(p.name, p.severity) for p in check("import fs from 'node:fs'", path="middleware.ts")] == [
        ("node-scheme", "error")
    ]
    assert check("import { Buffer } from 'node:buffer'", path="middleware.ts") == []


def test_rule_package_not_installed(tmp_path):
    """With the project folder, the check sees package imports: one that is not installed gets the install line."""
    source = "import { jwtVerify } from 'jose'\nimport type { X } from 'only-types'\nexport const v: X = jwtVerify\n"
    assert nbruntime.check(source, "nodejs", "middleware.ts") == []  # no project folder: no package checks
    (problem,) = nbruntime.check(source, "nodejs", "middleware.ts", project=tmp_path)
    assert (problem.name, problem.api, problem.line, problem.severity) == ("ModuleNotFound", "jose", 1, "error")
    assert problem.hint.startswith("%npm install jose")


def test_require_is_judged_by_what_it_loads():
    """Next's edge sandbox has a global require for the built-ins it offers (tests/conformance/edge-require)."""
    assert found("const z = require('zlib')\nconst b = require('buffer')") == [("node-module", "zlib", 1, 11)]


def test_rule_node_global():
    assert found("export function GET() { exports.x = 1 }") == [("node-global", "exports", 1, 25)]


def test_rule_bundler_global():
    """Recorded (tests/edge_cases/edge-bundler-globals): the bundler puts placeholders in for these."""
    source = "export function GET() { return new Response(__dirname + __filename + typeof module + global) }"
    assert [(name, api) for name, api, _, _ in found(source)] == [
        ("bundler-global", "__dirname"),
        ("bundler-global", "__filename"),
        ("bundler-global", "module"),
        ("bundler-global", "global"),
    ]
    assert found("const module = 1; export const x = { module }.module") == []
    assert bundled(source, "edge").endswith(
        "\nimport { __dirname, __filename, global, module } from 'nbruntime/bundler';\n"
    )
    assert bundled(source, "nodejs") == source


def test_rule_buffer_global():
    assert found("export const b = Buffer.from('a')") == [("buffer-global", "Buffer", 1, 18)]
    assert found("import { Buffer } from 'node:buffer'\nexport const b = Buffer.from('a')") == []
    assert found("let x: Buffer | null = null") == []  # a type, not a value
    assert found("type B = typeof Buffer\nlet s: ReturnType<typeof setImmediate>") == []  # types are erased


def test_rule_unsupported_api():
    source = "setImmediate(() => {})\nconst c = new MessageChannel()\nconst s = new CompressionStream('gzip')"
    problems = check(source, path=EDGE_ROUTE)
    assert [(p.api, p.line) for p in problems] == [("setImmediate", 1), ("MessageChannel", 2), ("CompressionStream", 3)]
    assert problems[0].message == "A Node.js API is used (setImmediate) which is not supported in the Edge Runtime."
    assert "queueMicrotask" in problems[0].hint


def test_rule_process_function():
    source = "export function GET() {\n  const a = process.cwd()\n  const t = typeof (process as any).hrtime\n}"
    problems = check(source, path=EDGE_ROUTE)
    assert [(p.api, p.line, p.column, p.severity, p.phase) for p in problems] == [
        ("process.cwd", 2, 13, "warning", "run"),
        ("process.hrtime", 3, 20, "warning", "run"),
    ]
    assert "move this code to the Node.js runtime" in problems[0].hint


def test_rule_process_value():
    assert found("const v = process.version + process.env.HOME + process.env.NEXT_RUNTIME\nprocess.on('exit', f)") == [
        ("process-value", "process.version", 1, 11),
        ("process-value", "process.on", 2, 1),
    ]
    assert found("const process = { cwd() { return '/' } }\nprocess.cwd()") == []


def test_rule_dynamic_code():
    """Recorded (tests/edge_cases/edge-middleware-eval-build): next build fails on middleware using it."""
    source = (
        "export function middleware() {\n  eval('1')\n  new Function('a', 'return a')\n  Function('return 1')()\n"
        "  WebAssembly.compile(bytes)\n  globalThis.eval('2')\n}\n"
    )
    problems = check(source, path="middleware.ts")
    assert [(p.name, p.api, p.line, p.column) for p in problems] == [
        ("dynamic-code", "eval", 2, 3),
        ("dynamic-code", "Function", 3, 3),
        ("dynamic-code", "Function", 4, 3),
        ("dynamic-code", "WebAssembly.compile", 5, 3),
        ("dynamic-code", "eval", 6, 3),
    ]
    assert {(p.severity, p.phase) for p in problems} == {("error", "build")}
    helper = {"middleware.ts": "import { run } from './lib/run'\nexport const middleware = () => run()", **LIB}
    assert [(p.name, p.file) for p in check_graph("middleware.ts", helper)] == [("dynamic-code", "lib/run.ts")]


LIB = {"lib/run.ts": "export const run = () => eval('1')"}


def test_unstable_allow_dynamic_lets_matching_files_through_the_build():
    """Recorded (edge-middleware-allow-dynamic): the build passes, and the call still throws EvalError."""
    for globs in ("'/lib/run.ts'", "['/lib/*.ts']", "['**/run.ts']"):
        middleware = "import { run } from './lib/run'\nexport const middleware = () => run()\n"
        middleware += f"export const config = {{ unstable_allowDynamic: {globs} }}"
        problems = check_graph("middleware.ts", {"middleware.ts": middleware, **LIB})
        assert [(p.name, p.severity) for p in problems] == [("dynamic-code-run", "warning")], globs
    other = "import { run } from './lib/run'\nexport const middleware = () => run()\n"
    other += "export const config = { unstable_allowDynamic: ['/vendor/**'] }"
    assert [p.name for p in check_graph("middleware.ts", {"middleware.ts": other, **LIB})] == ["dynamic-code"]


def test_rule_dynamic_code_run():
    """Recorded (edge-eval-build, edge-unused-eval): route handlers build, and throw EvalError when it runs."""
    route = "export function GET() { return Response.json(eval('1')) }"
    assert found(route) == [("dynamic-code-run", "eval", 1, 46)]
    (problem,) = check(route, path=EDGE_ROUTE)
    assert (problem.severity, problem.phase) == ("warning", "run") and "EvalError" in problem.message
    middleware = (
        "function unused() { return eval('1') }\n"
        "const helper = () => new Function('return 2')\n"
        "export const middleware = () => Response.json(helper())\n"
    )
    problems = check(middleware, path="middleware.ts")
    assert [(p.name, p.api, p.line, p.column) for p in problems] == [
        ("dynamic-code-run", "eval", 1, 28),
        ("dynamic-code", "Function", 2, 22),
    ]
    assert [p.name for p in check_graph(EDGE_ROUTE, {EDGE_ROUTE: "import '@/lib/run'", **LIB})] == ["dynamic-code-run"]


def test_rule_wasm_instantiate():
    assert found("export async function GET() { await WebAssembly.instantiate(bytes) }") == [
        ("wasm-instantiate", "WebAssembly.instantiate", 1, 37)
    ]


def test_rule_edge_memory_limit():
    # A run-time limit (tests/test_edge_isolation.py trips it): no static check, but the words and the notes.
    assert found("export function GET() { const a = []; for (;;) a.push(new Array(1e5)) }") == []
    message = "The edge deployment app/api/x/route.ts exceeded its 128 MB memory limit: edge platforms run ..."
    notes = explain(message)
    assert notes[0] == "Use instead: " + rules()["edge-memory-limit"].hint and "edge_memory_mb" in notes[0]


def test_rule_edge_cpu_limit():
    # A run-time limit (tests/test_edge_limits.py trips it): no static check, but the words and the notes.
    assert found("export function GET() { for (;;) {} }") == []
    notes = explain("The edge deployment app/api/x/route.ts used up its request's CPU time: a request may keep ...")
    assert notes[0] == "Use instead: " + rules()["edge-cpu-limit"].hint and "timeout" in notes[0]


def test_rule_edge_runtime_in_node():
    source = "export const runtime = 'edge'\nexport function GET() { return new Response(process.cwd()) }"
    (problem,) = check(source, "nodejs", EDGE_ROUTE)
    assert (problem.name, problem.severity, problem.line, problem.column) == ("edge-runtime-in-node", "warning", 1, 14)
    assert check("export function GET() {}", "nodejs", EDGE_ROUTE) == []


def test_rule_image_response_import():
    """next build refuses ImageResponse from next/server on both runtimes (recorded: image-response-from-server)."""
    source = "import { NextResponse, ImageResponse as Image } from 'next/server'\nexport const GET = () => new Image()"
    for runtime in ("edge", "nodejs"):
        (problem,) = check(source, runtime, EDGE_ROUTE)
        where = (problem.name, problem.severity, problem.line, problem.column)
        assert where == ("image-response-import", "error", 1, 24)
        assert problem.hint == "import { ImageResponse } from 'next/og'"
    assert check("import { ImageResponse } from 'next/og'", "nodejs", EDGE_ROUTE) == []


def test_a_problem_reads_as_one_line_with_place_severity_phase_and_hint():
    (problem,) = check("\n  import fs from 'fs'", path=EDGE_ROUTE)
    text = str(problem)
    assert "\n" not in text
    assert text.startswith("app/api/x/route.ts:2:3: error (edge, fails at build): Module not found: Can't resolve 'fs'")
    assert text.endswith("use instead: " + problem.hint)


def test_syntax_errors_are_left_to_the_build():
    assert check("export function GET( {", path=EDGE_ROUTE) == []


def test_run_time_errors_get_the_same_hints():
    notes = explain("A Node.js API is used (process.cwd) which is not supported in the Edge Runtime.\nLearn more: x")
    assert notes[0] == "Use instead: " + rules()["process-function"].hints["process.cwd"]
    assert explain("A Node.js API is used (setImmediate) which is not supported in the Edge Runtime.")[0].endswith(
        "queueMicrotask(fn)"
    )
    assert "throws EvalError" in explain("Code generation from strings disallowed for this context")[1]
    assert explain("exports is not defined")[0] == "Use instead: " + rules()["node-global"].hint
    assert explain("something else") == []


def test_check_is_public_api():
    assert nbruntime.check("import fs from 'fs'", path=EDGE_ROUTE) == check("import fs from 'fs'", path=EDGE_ROUTE)
    with pytest.raises(ValueError, match="runtime"):
        check("", runtime="deno")


def test_edge_check_follows_imports_of_deployed_cells():
    sources = {
        "app/api/r/route.ts": "import { read } from '@/lib/files'\nexport const GET = () => new Response(read())",
        "lib/files.ts": "export * from './deep/impl'\n",
        "lib/deep/impl.ts": "import { readFileSync } from 'node:fs'\nexport const read = () => readFileSync('x')",
        "lib/unused.ts": "import os from 'os'",
    }
    problems = check_graph("app/api/r/route.ts", sources)
    assert [(p.file, p.api, p.line) for p in problems] == [("lib/deep/impl.ts", "node:fs", 1)]
    assert check_graph("app/api/r/route.ts", sources, runtime="nodejs") == []


def test_rule_node_runtime_in_edge():
    # The mirror of edge-runtime-in-node: next build would honour the file's own declaration.
    (problem,) = nbruntime.check("export function middleware() {}\nexport const config = { runtime: 'nodejs' }",
                                 "edge", "middleware.ts")
    assert (problem.name, problem.severity, problem.phase) == ("node-runtime-in-edge", "warning", "build")
    assert "build warning" in str(problem) and "deploy it with %%node" in str(problem)


def test_rule_edge_static_generation():
    # next build prints it for edge routes (recorded: tests/conformance/cache-edge-and-rewrite, corpus 17, ...);
    # flagged where the route asks to be prerendered, which the Edge runtime cannot do.
    assert found("export const revalidate = 60\nexport function GET() {}") == [
        ("edge-static-generation", "edge", 1, 27)]
    assert found("export async function generateStaticParams() { return [] }") == [
        ("edge-static-generation", "edge", 1, 1)]
    assert found("export const revalidate = 0\nexport function GET() {}") == []  # asks for nothing static
    assert found("export const revalidate = 60", runtime="nodejs") == []
    assert check("export const revalidate = 60", "edge", "lib/x.ts") == []  # only route files are prerendered


def test_rule_edge_force_static():
    # The message next build 15.5 and 16.4 print (recorded: tests/conformance*/cache-edge-and-rewrite).
    assert found("export const dynamic = 'force-static'\nexport function GET() {}") == [
        ("edge-static-generation", "edge", 1, 24), ("edge-force-static", "/api/x", 1, 24)]
    (_, problem) = check("export const dynamic = 'force-static'", "edge", EDGE_ROUTE)
    assert problem.message.startswith("Page \"/api/x\" is using runtime = 'edge' which is currently incompatible")


def test_imports_typescript_erases_are_erased_in_place():
    """As TypeScript compiles for a bundle: names used only as types, or unused, go; lines and columns stay."""
    source = ("import { type JWTPayload, JWTHeaderParameters, jwtVerify } from 'jose'\nimport Unused from 'gone'\n"
              "import 'kept-for-its-side-effects'\nexport const f = (h: JWTHeaderParameters) => jwtVerify\n")
    erased = erase_type_imports(source, "a.ts")
    assert erased.splitlines()[0].split() == ["import", "{", "jwtVerify", "}", "from", "'jose'"]
    assert erased.splitlines()[1].strip() == "" and "'kept-for-its-side-effects'" in erased
    assert [len(line) for line in erased.splitlines()] == [len(line) for line in source.splitlines()]


def test_what_process_has_from_object_prototype_is_not_reported():
    # Next's polyfill is a plain object: process.constructor is Object, not undefined (the checker said so once).
    source = "export function GET() {\n  return Response.json([process.constructor === Object, " \
             "process.hasOwnProperty('env'), String(process.pid)])\n}"
    problems = nbruntime.check(source, runtime="edge", path="app/api/p/route.ts")
    assert [p.api for p in problems] == ["process.pid"]


def test_an_edited_cell_is_checked_as_written():
    """A cell deployed again is parsed as an edit of its previous tree: each version's problems sit where that
    version has them, and type-only code stays out of the check."""
    base = "type T = { cwd: string }\nexport function GET(): Response {\n  return new Response(process.cwd())\n}\n"
    assert found(base) == [("process-function", "process.cwd", 3, 23)]
    edited = base.replace("export function", "const pad = 1\nconst more: T | null = null\nexport function")
    assert found(edited) == [("process-function", "process.cwd", 5, 23)]
    typed = edited.replace("process.cwd()", "'x' as unknown as typeof process.cwd")
    assert found(typed) == []
    assert found(base) == [("process-function", "process.cwd", 3, 23)]  # back to the first version
