"""What code written for real apps relies on, beyond the recorded cases (tests/conformance: production-env,
own-origin-fetch, route-apis, ...): the project folder, env files deployed from cells, fetch loops, names."""

from __future__ import annotations

import json
import socket

import pytest

import nbruntime

ECHO = """export function GET(request: Request) {
  return Response.json({ ua: request.headers.get('user-agent'), mw: request.headers.get('x-mw') })
}
"""


def test_a_fetch_of_the_apps_own_origin_runs_through_the_app_without_a_port(app):
    # Recorded in tests/conformance/own-origin-fetch: middleware runs for the inner request too, and Next adds
    # no x-middleware-subrequest header; here also a POST body and a streamed answer travel both ways.
    app.deploy(
        "middleware.ts",
        """import { NextResponse } from 'next/server'
export function middleware() {
  const response = NextResponse.next()
  response.headers.set('x-mw', 'ran')
  return response
}""",
    )
    app.deploy("app/api/echo/route.ts", ECHO)
    app.deploy(
        "app/api/upper/route.ts",
        """export async function POST(request: Request) {
  const text = (await request.text()).toUpperCase()
  const body = new ReadableStream({ start(c) { c.enqueue(text.slice(0, 2)); c.enqueue(text.slice(2)); c.close() } })
  return new Response(body)
}""",
    )
    app.deploy(
        "app/api/calls/route.ts",
        """export async function GET(request: Request) {
  const echo = await (await fetch(new URL('/api/echo', request.url))).json()
  const upper = await (await fetch('http://127.0.0.1:3000/api/upper', { method: 'POST', body: 'hello' })).text()
  return Response.json({ echo, upper })
}""",
    )
    answer = app.request("GET", "/api/calls").json()
    assert answer == {"echo": {"ua": "node", "mw": "ran"}, "upper": "HELLO"}  # 127.0.0.1 is the same server


def test_a_fetch_loop_to_the_app_itself_ends_with_an_error_instead_of_hanging(app):
    # A handler that fetches itself: next start would run out of sockets; the emulator stops the loop when too
    # many requests to the app are in flight at once, and each level answers (its fetch failed: a 500).
    app.deploy(
        "app/api/loop/route.ts",
        """export async function GET(request: Request) {
  const depth = Number(new URL(request.url).searchParams.get('depth') ?? 0)
  const inner = await fetch(new URL(`/api/loop?depth=${depth + 1}`, request.url))
  return Response.json({ depth, inner: inner.status === 200 ? await inner.json() : inner.status })
}""",
    )
    r = app.request("GET", "/api/loop", timeout=60)
    assert r.status == 200
    levels, node = 0, r.json()
    while isinstance(node["inner"], dict):
        levels, node = levels + 1, node["inner"]
    assert node["inner"] == 500 and levels == 63  # the 64th request in flight failed its fetch
    assert any("requests from the app to itself at once: a fetch loop?" in line.text for line in r.logs)
    assert app.request("GET", "/api/loop?depth=100", timeout=60).status == 200  # nothing is left stuck


def test_other_origins_still_go_to_the_network(app):
    # A port of this machine where nothing listens: the connection is really refused (not answered by the app).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.deploy(
        "app/api/away/route.ts",
        "export async function GET() {\n"
        f"  try {{ await fetch('http://127.0.0.1:{port}/x'); return new Response('reached') }}\n"
        "  catch (error) { return new Response(String((error as any).cause?.code)) }\n}",
    )
    assert app.request("GET", "/api/away").text == "ECONNREFUSED"


def test_the_project_folder_is_a_next_project_with_its_own_package_json_and_env_files(tmp_path):
    (tmp_path / "package.json").write_text(json.dumps({"name": "shop", "version": "2.1.0"}))
    (tmp_path / ".env.production").write_text("API_URL=https://api.example\nNEXT_PUBLIC_BRAND=Shop\n")
    route = """import { readFileSync } from 'node:fs'
export function GET() {
  const pkg = JSON.parse(readFileSync(process.cwd() + '/package.json', 'utf8'))
  return Response.json({ pkg: `${pkg.name}@${pkg.version}`, api: process.env.API_URL, env: process.env.NODE_ENV })
}"""
    with nbruntime.App(project_dir=tmp_path) as app:
        app.deploy("app/api/about/route.ts", route)
        assert app.request("GET", "/api/about").json() == {
            "pkg": "shop@2.1.0", "api": "https://api.example", "env": "production"
        }
    assert json.loads((tmp_path / "package.json").read_text()) == {"name": "shop", "version": "2.1.0"}


def test_an_app_of_its_own_gets_a_package_json_naming_the_next_version_it_emulates():
    with nbruntime.App(next="16") as app:
        package = json.loads((app.project_dir / "package.json").read_text())
        assert package["dependencies"]["next"].startswith("16.") and package["private"] is True
        app.use_next("15")
        assert json.loads((app.project_dir / "package.json").read_text())["dependencies"]["next"].startswith("15.")


def test_env_files_deployed_from_cells_change_process_env_and_go_when_undeployed(app):
    route = """export function GET() {
  return Response.json({ plain: process.env.GREETING ?? null, brand: process.env.NEXT_PUBLIC_BRAND ?? null,
    dynamic: process.env['NEXT_PUBLIC_' + 'BRAND'] ?? null, env: process.env.NODE_ENV })
}"""
    app.deploy("app/api/env/route.ts", route, runtime="edge")
    assert app.request("GET", "/api/env").json() == {"plain": None, "brand": None, "dynamic": None, "env": "production"}
    app.deploy(".env", "GREETING=from .env\nNEXT_PUBLIC_BRAND=Acme\n")
    app.deploy(".env.production", "GREETING=from .env.production\n")
    assert app.request("GET", "/api/env").json() == {
        "plain": "from .env.production", "brand": "Acme", "dynamic": "Acme", "env": "production"
    }
    # NEXT_PUBLIC_ values are inlined when the code is built (Next's docs: "After being built, your app will no
    # longer respond to changes to these environment variables"); a dynamic lookup is not inlined.
    app.set_env(NEXT_PUBLIC_BRAND="Changed")
    assert app.request("GET", "/api/env").json()["brand"] == "Acme"
    assert app.request("GET", "/api/env").json()["dynamic"] == "Changed"
    app.undeploy(".env.production")
    assert app.request("GET", "/api/env").json()["plain"] == "from .env"


@pytest.mark.parametrize("runtime", ["node", "nodejs"])
def test_runtime_node_is_the_nodejs_runtime(app, runtime):
    source = "export const GET = () => new Response(process.versions.node)"
    deployment = app.deploy("app/api/v/route.ts", source, runtime)
    assert deployment.runtime == "nodejs"
    assert app.request("GET", "/api/v").text.split(".")[0].isdigit()


def test_other_runtime_names_still_get_the_clear_error(app):
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy("app/api/v/route.ts", "export const GET = () => new Response('x')", runtime="deno")
    assert caught.value.problems[0].name == "InvalidRuntime"
    assert "'edge' or 'nodejs' (or 'node'), not 'deno'" in caught.value.problems[0].message


def test_json_files_import_as_modules_and_a_changed_one_is_seen(app):
    # Recorded in tests/conformance/json-imports: a JSON file's value is its module's default export.
    app.deploy("lib/limits.json", '{"max": 1}')
    route = "import limits from '@/lib/limits.json'\nexport const GET = () => Response.json(limits)"
    app.deploy("app/api/limits/route.ts", route)
    assert app.request("GET", "/api/limits").json() == {"max": 1}
    app.deploy("lib/limits.json", '{"max": 2}')  # its importers link afresh, as after a rebuild
    assert app.request("GET", "/api/limits").json() == {"max": 2}
    app.deploy("lib/broken.json", "{max: 3}")  # a data file need not be JSON until something imports it
    with pytest.raises(nbruntime.BuildError) as caught:
        app.deploy("app/api/broken/route.ts", route.replace("limits", "broken"))
    problem = caught.value.problems[0]
    assert problem.file == "lib/broken.json" and problem.message.startswith("Module parse failed:")
