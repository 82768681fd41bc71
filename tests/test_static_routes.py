"""Static and revalidating route handlers: the build's prerender, the ISR cache, next/cache, the app's clock.

Expected answers come from next start 15.5 and 16.4, recorded in tests/conformance*/cache-* (replayed
header for header by test_conformance.py); these tests drive the same behaviours through the Python API,
the magics and the clock, which a recording cannot.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time

import pytest

import nbruntime

COUNTING = """
let calls = 0
export const revalidate = 60
export async function GET() {
  calls += 1
  return Response.json({ calls, phase: process.env.NEXT_PHASE ?? null })
}
"""


def settle(app, url: str, expected: str, timeout: float = 5.0):
    """The response once a background regeneration has landed (the cache says ``expected``)."""
    deadline = time.monotonic() + timeout
    while True:
        response = app.request("GET", url)
        if response.headers.get("x-nextjs-cache") == expected or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def test_a_revalidating_route_is_prerendered_then_regenerated_once_the_clock_passes_its_window(app):
    # Recorded in tests/conformance/cache-revalidate-window (there with revalidate = 2 and real sleeps).
    app.deploy("app/api/prices/route.ts", COUNTING)
    first = app.request("GET", "/api/prices?currency=eur")
    assert first.json() == {"calls": 1, "phase": "phase-production-build"}  # made by the build, in its own state
    assert first.headers["x-nextjs-cache"] == "HIT"
    assert first.headers["cache-control"] == "s-maxage=60, stale-while-revalidate=31535940"
    assert "prerendered at build · HIT · age 0 s · revalidates in 60 s" in first.verdict

    app.clock.advance(61)
    stale = app.request("GET", "/api/prices")
    assert (stale.headers["x-nextjs-cache"], stale.json()["phase"]) == ("STALE", "phase-production-build")
    assert "STALE · age 61 s · regenerating in the background" in stale.verdict

    fresh = settle(app, "/api/prices", "HIT")
    assert fresh.json() == {"calls": 1, "phase": None}  # the server's first call: the build's state stayed there
    assert fresh.headers["cache-control"] == "s-maxage=60"  # a 15.5 server's copy has no expire time
    assert app.request("HEAD", "/api/prices").body == b""
    refused = app.request("POST", "/api/prices")
    assert (refused.status, refused.headers["allow"], refused.text) == (405, "GET, HEAD", "Method Not Allowed")

    table = str(app.route_table())
    assert "○ /api/prices" in table and "1m" in table  # next build writes 60 s as 1m


def test_the_build_table_says_why_each_route_is_what_it_is(app):
    app.deploy("app/api/prices/route.ts", COUNTING)
    app.deploy("app/api/live/route.ts", "export async function GET() { return new Response('now') }")
    app.deploy("app/api/who/route.ts", "export const revalidate = 60\n"
               "export async function GET(r: Request) { return new Response(r.headers.get('user-agent')) }")
    app.deploy("app/posts/[id]/route.ts", "export async function generateStaticParams() { return [{ id: 'a' }] }\n"
               "export async function GET(_r: Request, c: any) { return Response.json(await c.params) }")
    app.deploy("app/api/edge/route.ts", "export const runtime = 'edge'\nexport const revalidate = 60\n"
               "export async function GET() { return new Response('edge') }")
    built = {route.pattern: route for route in app.build().routes}
    assert built["/api/prices"].symbol == "○"
    assert (built["/api/live"].symbol, built["/api/live"].reason) == (
        "ƒ", "dynamic by default (no force-static, revalidate or generateStaticParams)")
    assert built["/api/who"].reason == "its GET used `request.headers`"  # recorded: cache-request-data
    assert (built["/posts/[id]"].symbol, built["/posts/[id]"].paths) == ("●", ["/posts/a"])
    assert built["/api/edge"].reason == "edge runtime: never prerendered"
    assert app.route_table().warnings == ["Using edge runtime on a page currently disables static generation for "
                                          "that page"]
    assert json.loads(built["/posts/[id]"].body("/posts/a")) == {"id": "a"}


def test_a_prerender_that_fails_fails_the_deploy_and_keeps_the_previous_version(app):
    # Recorded in tests/conformance/cache-dynamic-error: next build exits with this message.
    app.deploy("app/api/strict/route.ts", "export const dynamic = 'error'\n"
               "export async function GET() { return new Response('v1') }")
    with pytest.raises(nbruntime.BuildError) as failed:
        app.deploy("app/api/strict/route.ts", "export const dynamic = 'error'\n"
                   "export async function GET(r: Request) {\n  return new Response(r.headers.get('x'))\n}")
    problem = failed.value.problems[0]
    assert problem.message.startswith('Error occurred prerendering page "/api/strict"')
    assert "with `dynamic = \"error\"` couldn't be rendered statically because it used `request.headers`" in \
        problem.message
    assert (problem.file, problem.line) == ("app/api/strict/route.ts", 3)
    assert app.request("GET", "/api/strict").text == "v1"


def test_a_redeploy_rebuilds_only_the_routes_it_changes(app):
    app.deploy("lib/stamp.ts", "export const stamp = () => 'one'")
    app.deploy("app/api/a/route.ts", "import { stamp } from '@/lib/stamp'\nlet n = 0\n"
               "export const dynamic = 'force-static'\n"
               "export async function GET() { return new Response(`${stamp()} ${++n} ${Math.random()}`) }")
    app.deploy("app/api/b/route.ts", "let n = 0\nexport const dynamic = 'force-static'\n"
               "export async function GET() { return new Response(`b ${++n} ${Math.random()}`) }")
    a, b = app.request("GET", "/api/a").text, app.request("GET", "/api/b").text
    app.deploy("app/api/b/route.ts", "export const dynamic = 'force-static'\n"
               "export async function GET() { return new Response(`b2 ${Math.random()}`) }")
    assert app.request("GET", "/api/a").text == a  # untouched: not rebuilt
    assert app.request("GET", "/api/b").text.startswith("b2 ")
    app.deploy("lib/stamp.ts", "export const stamp = () => 'two'")
    assert app.request("GET", "/api/a").text.startswith("two 1 ")  # its import changed: rebuilt
    assert app.request("GET", "/api/b").text != b


def test_a_restarted_host_serves_the_copies_the_build_made(app):
    app.deploy("app/api/prices/route.ts", COUNTING)
    app.restart()
    again = app.request("GET", "/api/prices")
    assert again.json() == {"calls": 1, "phase": "phase-production-build"}  # .next survives a restart of next start
    assert again.headers["x-nextjs-cache"] == "HIT"


def test_edge_routes_are_rendered_for_every_request_with_nexts_build_warnings(app):
    # Recorded in tests/conformance/cache-edge-and-rewrite.
    deployment = app.deploy("app/api/edge/route.ts", "export const runtime = 'edge'\n"
                            "export const dynamic = 'force-static'\nlet n = 0\n"
                            "export async function GET() { return Response.json({ n: ++n }) }")
    assert [p.message for p in deployment.problems] == [
        "Using edge runtime on a page currently disables static generation for that page",
        "Page \"/api/edge\" is using runtime = 'edge' which is currently incompatible with dynamic = 'force-static'. "
        "Please remove either \"runtime\" or \"force-static\" for correct behavior",
    ]
    assert [p.line for p in deployment.problems] == [2, 2]
    answers = [app.request("GET", "/api/edge") for _ in range(2)]
    assert [r.json()["n"] for r in answers] == [1, 2]
    assert "x-nextjs-cache" not in answers[0].headers


def test_unstable_cache_and_revalidate_tag_reach_across_runtimes(app):
    app.deploy("lib/data.ts", "import { unstable_cache } from 'next/cache'\nlet n = 0\n"
               "export const load = unstable_cache(async () => ({ n: ++n, on: typeof EdgeRuntime }), ['k'], "
               "{ tags: ['prices'] })")
    app.deploy("app/api/edge/route.ts", "import { load } from '@/lib/data'\nexport const runtime = 'edge'\n"
               "export async function GET() { return Response.json(await load()) }")
    app.deploy("app/api/node/route.ts", "import { load } from '@/lib/data'\nexport const dynamic = 'force-dynamic'\n"
               "export async function GET() { return Response.json(await load()) }")
    app.deploy("app/api/bust/route.ts", "import { revalidateTag } from 'next/cache'\nexport const runtime = 'edge'\n"
               "export async function POST() { revalidateTag('prices'); return new Response(null, { status: 204 }) }")
    assert app.request("GET", "/api/edge").json() == {"n": 1, "on": "string"}
    assert app.request("GET", "/api/node").json() == {"n": 1, "on": "string"}  # one data cache for both runtimes
    assert app.request("POST", "/api/bust").status == 204
    assert app.request("GET", "/api/node").json() == {"n": 1, "on": "undefined"}  # made afresh, on Node.js


@pytest.fixture
def counting_server():
    """A real HTTP server on 127.0.0.1 that counts the requests it answers."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = json.dumps({"hit": len(hits)}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_in_node_routes_goes_through_nexts_data_cache(app, counting_server):
    # Next 15 documents it: fetch is not cached by default; force-cache and next.revalidate are, next.tags
    # revalidate with revalidateTag; a no-store fetch makes a revalidating route dynamic.
    def route(name: str, options: str, config: str = "export const dynamic = 'force-dynamic'") -> None:
        app.deploy(f"app/api/{name}/route.ts", f"{config}\nexport async function GET() {{\n"
                   f"  return Response.json(await (await fetch('{counting_server}/{name}'{options})).json())\n}}")

    route("plain", "")
    route("forced", ", { cache: 'force-cache', next: { tags: ['feed'] } }")
    route("timed", ", { next: { revalidate: 30 } }")
    route("nostore", ", { cache: 'no-store' }", "export const revalidate = 60")
    app.deploy("app/api/bust/route.ts", "import { revalidateTag } from 'next/cache'\n"
               "export async function POST() { revalidateTag('feed'); return new Response('ok') }")

    def hit(name: str) -> int:
        return app.request("GET", f"/api/{name}").json()["hit"]

    assert hit("plain") != hit("plain")
    assert hit("forced") == hit("forced")
    first = hit("timed")
    assert hit("timed") == first
    app.clock.advance(31)
    assert hit("timed") == first  # stale, served while it is refreshed in the background
    deadline = time.monotonic() + 5
    while (refreshed := hit("timed")) == first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert refreshed != first
    assert hit("nostore") != hit("nostore")
    assert app.route_table().routes[3].reason.startswith("its GET used `no-store fetch")
    cached = hit("forced")
    app.request("POST", "/api/bust")
    assert hit("forced") != cached


def test_build_and_advance_magics(ipython, run_cell):
    from nbruntime.app import get_app

    run_cell("%%node app/api/magic-static/route.ts\nexport const revalidate = 30\n"
             "export async function GET() { return new Response(String(Math.random())) }")
    table = run_cell("%nbruntime build")
    assert "○ /api/magic-static" in table and "30s" in table
    before = get_app().request("GET", "/api/magic-static").text
    assert "45 s ahead" in run_cell("%nbruntime advance 45s")
    assert get_app().request("GET", "/api/magic-static").headers["x-nextjs-cache"] == "STALE"
    assert settle(get_app(), "/api/magic-static", "HIT").text != before
    get_app().undeploy("app/api/magic-static/route.ts")


def test_compare_puts_the_isr_difference_first():
    comparison = nbruntime.compare("app/api/prices/route.ts", COUNTING, ["GET /api/prices"])
    assert comparison.summary.startswith(
        "differs: deploy isr: edge rendered for every request; node prerendered at build (○ /api/prices), "
        "served from the cache, revalidated every 60 s")


def test_metadata_files_are_routes_built_like_next_builds_them(app):
    # The answers of each metadata file are recorded in tests/conformance*/metadata-routes and metadata-files; this
    # drives what a recording does not: an edge metadata route, a revalidating one, a missing default export, undeploy.
    app.deploy("app/sitemap.ts", "export const runtime = 'edge'\n"
               "export default () => [{ url: 'https://acme.test/', lastModified: new Date(Date.UTC(2024, 0, 2)) }]")
    sitemap = app.request("GET", "/sitemap.xml")
    assert sitemap.headers["content-type"] == "application/xml"
    assert "<lastmod>2024-01-02T00:00:00.000Z</lastmod>" in sitemap.text  # a Date of the edge realm, read there

    app.deploy("app/robots.ts", "export const revalidate = 60\n"
               "export default () => ({ rules: { userAgent: '*', disallow: '/' + Math.random() } })")
    first = app.request("GET", "/robots.txt")
    assert (first.headers["x-nextjs-cache"], first.text.splitlines()[0]) == ("HIT", "User-Agent: *")
    app.clock.advance(61)
    assert app.request("GET", "/robots.txt").text == first.text  # stale, regenerated in the background
    assert settle(app, "/robots.txt", "HIT").text != first.text
    assert "○ /robots.txt" in str(app.route_table())

    with pytest.raises(nbruntime.BuildError, match=re.escape('Default export is missing in "app/manifest.ts"')):
        app.deploy("app/manifest.ts", "export function manifest() { return {} }")
    with pytest.raises(nbruntime.BuildError, match=re.escape("/robots.txt is also answered by app/robots.ts")):
        app.deploy("app/robots.txt", "User-agent: *\n")
    app.undeploy("app/robots.ts")
    app.deploy("app/robots.txt", "User-agent: *\n")
    assert app.request("GET", "/robots.txt").text == "User-agent: *\n"
    app.undeploy("app/robots.txt")
    assert app.request("GET", "/robots.txt").status == 404
