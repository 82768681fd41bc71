"""The edge realm: the globals of Next's edge sandbox, its process polyfill, stubs, modules and errors."""

import json
import subprocess
import time
from pathlib import Path

import pytest

import nbruntime
from nbruntime.compat import table
from nbruntime.host import node_executable
from nbruntime.vendor_fields import lowered_members

# Layer 2 (@edge-runtime/vm) and layer 3 (Next's extensions) of the edge global scope.
EDGE_GLOBALS = {
    "self", "EdgeRuntime", "crypto", "Crypto", "CryptoKey", "SubtleCrypto", "fetch", "File", "FormData", "Headers",
    "Request", "Response", "WebSocket", "structuredClone", "Blob", "URL", "URLSearchParams", "URLPattern",
    "AbortController", "AbortSignal", "DOMException", "ReadableStream", "ReadableStreamBYOBReader",
    "ReadableStreamDefaultReader", "TransformStream", "WritableStream", "WritableStreamDefaultWriter",
    "TextEncoderStream", "TextDecoderStream", "atob", "btoa", "TextEncoder", "TextDecoder", "Event", "EventTarget",
    "FetchEvent", "PromiseRejectionEvent", "console", "performance", "setTimeout", "setInterval", "clearTimeout",
    "clearInterval", "queueMicrotask", "addEventListener", "removeEventListener", "__listeners",
    "__conditionallyUpdatesHandlerList", "__onUnhandledRejectionHandlers", "__onErrorHandlers",
    "process", "AsyncLocalStorage", "require", *table()["stubbed_globals"],
}  # fmt: skip


def _v8_builtins() -> set[str]:
    """The globals of a bare V8 context on this Node (layer 1), which change with the Node version."""
    code = "console.log(JSON.stringify(require('vm').runInNewContext('Object.getOwnPropertyNames(globalThis)')))"
    out = subprocess.run([node_executable(), "-e", code], capture_output=True, text=True, timeout=30, check=True)
    return set(json.loads(out.stdout))


def _edge_json(app, body: str, path: str = "app/api/probe/route.ts"):
    app.deploy(path, f"export const runtime = 'edge'\nexport async function GET() {{\n{body}\n}}\n")
    response = app.request("GET", "/" + path.removeprefix("app/").removesuffix("/route.ts"))
    assert response.status == 200, (response.text, response.error)
    return response.json()


def test_the_global_scope_is_exactly_next_edge_sandbox(app):
    names = _edge_json(app, "return Response.json(Object.getOwnPropertyNames(globalThis))")
    assert set(names) == _v8_builtins() | EDGE_GLOBALS


def test_globals_behave_as_in_the_edge_sandbox(app):
    result = _edge_json(
        app,
        """
  const g = globalThis as any
  const timer = setTimeout(() => {}, 1)
  clearTimeout(timer)
  return Response.json({
    timer: typeof timer, self: self === globalThis, edge: EdgeRuntime, crypto: Object.keys(g).includes('crypto'),
    encodedIsU8: new TextEncoder().encode('a') instanceof Uint8Array,
    bufferGlobal: typeof g.Buffer, require: typeof g.require, dirname: typeof g.__dirname, global: typeof g.global,
    als: typeof AsyncLocalStorage, store: new AsyncLocalStorage().run(7, () => 'ran'),
    setImmediate: typeof g.setImmediate,
  })""",
    )
    assert result == {
        "timer": "number",
        "self": True,
        "edge": "edge-runtime",
        "crypto": True,
        "encodedIsU8": True,
        "bufferGlobal": "undefined",
        "require": "function",  # recorded from next start: tests/conformance/edge-globals
        "dirname": "undefined",
        "global": "undefined",
        "als": "function",
        "store": "ran",
        "setImmediate": "function",
    }


def test_the_engines_classes_hold_real_private_fields_and_keep_their_semantics(app):
    """The build gives the engine's private fields, which esbuild lowered to WeakMaps, back as real ones
    (vendor_fields.py): none is left in a WeakMap, and Headers behave as edge-runtime's do, a receiver without the field
    refused with esbuild's own TypeError."""
    engine = Path(nbruntime.__file__).parent / "js" / "vendor" / "node_modules" / "@edge-runtime" / "primitives"
    assert lowered_members((engine / "dist" / "load.js").read_text()) == []
    seen = _edge_json(app, """
  const headers = new Headers({ b: '2', a: '1' })
  headers.append('a', '3')
  let refused = null
  try { Reflect.apply(Headers.prototype.get, new Proxy(headers, {}), ['a']) } catch (error) { refused = error.message }
  return Response.json({ entries: [...headers], refused, own: Reflect.ownKeys(headers).length })""")
    assert seen == {"entries": [["a", "1, 3"], ["b", "2"]], "refused": "Cannot read from private field", "own": 0}


def test_process_polyfill(app):
    result = _edge_json(
        app,
        """
  const p = process as any
  let cwd = null
  try { p.cwd() } catch (e) { cwd = (e as Error).message }
  const before = p.version
  p.version = 'v-mine'
  return Response.json({ env: process.env.NEXT_RUNTIME, cwd, typeofCwd: typeof p.cwd, before: before ?? null,
    after: p.version, platform: p.platform ?? null, missing: 'nope' in p, keys: Object.keys(p) })""",
    )
    assert result == {
        "env": "edge",
        "cwd": "A Node.js API is used (process.cwd) which is not supported in the Edge Runtime.\n"
        "Learn more: https://nextjs.org/docs/api-reference/edge-runtime",
        "typeofCwd": "function",
        "before": None,
        "after": "v-mine",
        "platform": None,
        "missing": False,
        "keys": ["env"],
    }


def test_every_stubbed_global_throws_next_message_when_called(app):
    result = _edge_json(
        app,
        f"""
  const out: Record<string, string> = {{}}
  for (const name of {json.dumps(table()["stubbed_globals"])}) {{
    try {{ (globalThis as any)[name](); out[name] = 'no error' }} catch (e) {{ out[name] = (e as Error).message }}
  }}
  return Response.json(out)""",
    )
    assert result == {
        name: f"A Node.js API is used ({name}) which is not supported in the Edge Runtime.\n"
        "Learn more: https://nextjs.org/docs/api-reference/edge-runtime"
        for name in table()["stubbed_globals"]
    }


def test_allowed_node_modules_expose_next_export_subsets(app):
    imports = "\n".join(
        f"import * as m{i} from '{'node:' * (i % 2)}{name}'" for i, name in enumerate(table()["edge_node_modules"])
    )
    names = list(table()["edge_node_modules"])
    app.deploy(
        "app/api/mods/route.ts",
        imports
        + "\nexport const runtime = 'edge'\nexport function GET() {\n"
        + f"  return Response.json([{', '.join(f'Object.keys(m{i}).sort()' for i in range(len(names)))}])\n}}\n",
    )
    got = app.request("GET", "/api/mods").json()
    assert got == [sorted([*exports, "default"]) for exports in table()["edge_node_modules"].values()]


def test_a_name_outside_the_subset_is_refused_at_deploy(app):
    with pytest.raises(nbruntime.BuildError, match="TextEncoder"):
        app.deploy("app/api/u/route.ts", "import { TextEncoder } from 'util'\nexport const runtime = 'edge'\n"
                   "export const GET = () => new Response(String(TextEncoder))\n")  # used: TypeScript keeps it


def test_buffer_is_a_bundler_binding_and_lines_stay_put(app):
    app.deploy(
        "app/api/buf/route.ts",
        "export const runtime = 'edge'\n"
        "export function GET() {\n"
        "  const b64 = Buffer.from('ada').toString('base64')\n"
        "  if (b64) throw new Error(`boom ${b64} ${typeof (globalThis as any).Buffer}`)\n"
        "}\n",
    )
    response = app.request("GET", "/api/buf")
    assert response.error.message == "boom YWRh undefined"
    assert (response.error.file, response.error.line) == ("app/api/buf/route.ts", 4)
    app.deploy(  # imported by the cell itself: no second binding
        "app/api/buf/route.ts",
        "import { Buffer } from 'node:buffer'\nexport const runtime = 'edge'\n"
        "export const GET = () => new Response(Buffer.from('ada').toString('hex'))\n",
    )
    assert app.request("GET", "/api/buf").text == "616461"


def test_wasm_bytes_are_refused_at_run_time_and_name_the_api(app):
    result = _edge_json(
        app,
        """
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])
  try { await WebAssembly.instantiate(bytes); return Response.json('instantiated') }
  catch (e) { return Response.json({ name: (e as Error).name, message: (e as Error).message.split('\\n')[0] }) }""",
    )
    assert result == {
        "name": "CompileError",
        "message": table()["rules"]["wasm-instantiate"]["message"].replace("{api}", "WebAssembly.instantiate"),
    }


DONE_WHEN = """import { readFileSync } from 'fs'

export function GET() {
  const data = readFileSync('data.json', 'utf8')
  const value = eval('1 + 1')
  return Response.json({ data: data.length, value, cwd: process.cwd() })
}
"""


def test_edge_cell_with_fs_eval_and_cwd_shows_three_precise_problems_before_running(app):
    with pytest.raises(nbruntime.BuildError) as raised:
        app.deploy("app/api/mixed/route.ts", DONE_WHEN, runtime="edge")
    problems = raised.value.problems
    assert [(p.api, p.line, p.column, p.severity, p.phase) for p in problems] == [
        ("fs", 1, 1, "error", "build"),
        ("eval", 5, 17, "warning", "run"),  # next build lets eval through in a route (tests/edge_cases)
        ("process.cwd", 6, 57, "warning", "run"),
    ]
    assert all(p.file == "app/api/mixed/route.ts" and p.frame and p.hint and p.runtime == "edge" for p in problems)
    assert "crypto.subtle" not in problems[0].hint and "fetch()" in problems[0].hint
    assert "app/api/mixed/route.ts" not in app.deployments
    text = str(raised.value)
    assert text.count("\n> ") == 3 and "use instead:" in text


def test_the_same_code_runs_under_node(app):
    (app.project_dir / "data.json").write_text('{"a": 1}')
    deployment = app.deploy("app/api/mixed/route.ts", DONE_WHEN, runtime="nodejs")
    assert deployment.problems == []
    result = app.request("GET", "/api/mixed").json()
    assert result == {"data": 8, "value": 2, "cwd": str(app.project_dir)}


def test_edge_warnings_are_kept_on_the_deployment(app):
    deployment = app.deploy(
        "app/api/w/route.ts",
        "export const runtime = 'edge'\nexport function GET() { return new Response(process.cwd()) }",
    )
    assert [(p.api, p.severity) for p in deployment.problems] == [("process.cwd", "warning")]
    response = app.request("GET", "/api/w")
    assert response.status == 500
    assert response.error.notes[0] == "Use instead: " + table()["rules"]["process-function"]["hints"]["process.cwd"]


def test_edge_runtime_declared_in_a_node_cell_is_a_warning(app):
    deployment = app.deploy(
        "app/api/n/route.ts",
        "export const runtime = 'edge'\nexport function GET() { return new Response('ok') }",
        runtime="nodejs",
    )
    assert [(p.name, p.severity) for p in deployment.problems] == [("edge-runtime-in-node", "warning")]
    assert app.request("GET", "/api/n").text == "ok"


@pytest.fixture
def echo_server():
    """A local HTTP server that answers with the user-agent it was sent."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self):
            body = (self.headers.get("user-agent") or "").encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_fetch_from_edge_says_next_js_middleware_unless_told_otherwise(app, echo_server):
    result = _edge_json(
        app,
        f"""
  const plain = await (await fetch('{echo_server}')).text()
  const own = await (await fetch('{echo_server}', {{ headers: {{ 'user-agent': 'mine' }} }})).text()
  const viaRequest = await (await fetch(new Request('{echo_server}', {{ headers: {{ 'user-agent': 'req' }} }}))).text()
  return Response.json({{ plain, own, viaRequest }})""",
    )
    assert result == {"plain": "Next.js Middleware", "own": "mine", "viaRequest": "req"}


def _engine_cache(folder: Path, timeout: float = 10.0) -> Path:
    """The edge engine's code cache in the compile cache folder under ``folder``, once a host has written it."""
    deadline = time.monotonic() + timeout
    while not (found := list(folder.glob("node-compile-cache/**/nbruntime-edge-engine-*.bin"))):
        assert time.monotonic() < deadline, "no host wrote the edge engine's code cache"
        time.sleep(0.05)
    return found[0]


def test_the_edge_engine_is_compiled_from_a_cache_a_first_realm_left(tmp_path, monkeypatch):
    monkeypatch.setenv("NBRUNTIME_CACHE", str(tmp_path))
    route = "export const runtime = 'edge'\nexport const GET = () => new Response(new Headers({ a: '1' }).get('a'))"

    def served(linger: float) -> None:
        with nbruntime.App(project_dir=tmp_path / "app") as app:
            app.deploy("app/api/x/route.ts", route)
            assert app.request("GET", "/api/x").text == "1"
            time.sleep(linger)

    served(1.0)
    cache = _engine_cache(tmp_path)  # the first host wrote it soon after its first realm (what that compiled included)
    assert cache.stat().st_size > 100_000
    written = cache.stat().st_mtime_ns
    served(1.5)
    assert cache.stat().st_mtime_ns == written  # the next host read it: V8 took it, so nothing was written again
    cache.write_bytes(b"not a code cache")
    served(1.0)
    assert _engine_cache(tmp_path).stat().st_size > 100_000  # refused by V8, compiled afresh and written again
