"""The Next.js request pipeline end to end: middleware, matchers, rewrites, cookies, trace, Next 16 rules."""

from __future__ import annotations

import re

import pytest
from backend import serving
from examples import ISSUE_MIDDLEWARE, SLUG_ROUTE

import nbruntime
from nbruntime.display import response_bundle
from nbruntime.matcher import next_source, to_regex


def test_the_issue_example_redirects_without_a_session_and_forwards_the_user_with_one(app):
    app.deploy("middleware.ts", ISSUE_MIDDLEWARE)
    app.deploy("app/dashboard/[...slug]/route.ts", SLUG_ROUTE)

    ok = app.request("GET", "/dashboard/billing", headers={"cookie": "session=alice"})
    assert (ok.status, ok.json()) == (200, {"user": "alice", "slug": ["billing"]})
    assert ok.verdict == (
        "middleware matched → next → GET app/dashboard/[...slug]/route.ts {'slug': ['billing']} → 200"
    )

    redirect = app.request("GET", "/dashboard")
    assert redirect.status == 307
    assert redirect.headers.multi_items() == [("location", "/login")]  # same origin: relative, as next start sends it
    assert redirect.text == "/login"
    assert redirect.verdict == "middleware matched → redirect 307 → /login"
    assert "→ middleware matched → redirect 307 → /login" in response_bundle(redirect)["text/plain"]


def test_trace_records_matching_decision_route_and_timed_steps(app):
    app.deploy(
        "middleware.ts",
        """
import { NextResponse, type NextRequest } from 'next/server'
export function middleware(req: NextRequest) {
  return NextResponse.rewrite(new URL('/items/7?via=mw', req.url))
}
export const config = { matcher: [{ source: '/go', has: [{ type: 'header', key: 'x-go' }] }] }
""",
    )
    app.deploy(
        "app/items/[id]/route.ts",
        "export async function GET(r: Request, c: any) { return Response.json({ ...(await c.params), url: r.url }) }",
    )
    app.deploy("app/go/route.ts", "export function GET() { return new Response('not rewritten') }")

    rewritten = app.request("GET", "/go", headers={"x-go": "1"})
    # Same-origin rewrites are internal (recorded in tests/conformance/rewrite-chain): the route at the new
    # path answers, with the new path's params, while its request keeps the URL the client asked for.
    assert rewritten.json() == {"id": "7", "url": "http://localhost:3000/go"}
    assert rewritten.headers["x-middleware-rewrite"] == "/items/7?via=mw"
    trace = rewritten.trace
    assert trace.middleware["matched"] and trace.middleware["reason"] == "matcher /go"
    assert trace.rewrite == {"from": "/go", "to": "/items/7?via=mw", "external": False}
    assert rewritten.verdict == (
        "middleware matched → rewrite → /items/7?via=mw → GET app/items/[id]/route.ts {'id': '7'} → 200"
    )
    assert (trace.route["file"], trace.route["params"]) == ("app/items/[id]/route.ts", {"id": "7"})
    names = [step.name for step in trace.steps]
    assert names == ["middleware", "route", "body"]
    assert all(step.ms >= 0 for step in trace.steps)
    assert trace.step("middleware").end_ms <= trace.step("route").start_ms

    skipped = app.request("GET", "/go")
    assert skipped.text == "not rewritten"
    assert skipped.trace.middleware["reason"] == "path matches /go but has header x-go is absent"
    assert skipped.verdict.startswith("middleware skipped (path matches /go but has header x-go is absent)")


def test_an_external_rewrite_is_proxied_and_its_trace_says_so(app):
    # What the other origin gets and what comes back are recorded in conformance/external-proxy.
    with serving("http://127.0.0.1:39218"):
        app.deploy("middleware.ts", "import { NextResponse } from 'next/server'\nexport function middleware() {\n"
                                    "  return NextResponse.rewrite('http://127.0.0.1:39218/x?q=1')\n}")
        r = app.request("GET", "/anything")
    assert (r.status, r.json()["path"], r.headers["x-backend"]) == (200, "/x?q=1", "echo")
    assert r.trace.rewrite == {"from": "/anything", "to": "http://127.0.0.1:39218/x?q=1", "external": True}
    assert r.verdict == "middleware matched → rewrite → http://127.0.0.1:39218/x?q=1 (external, proxied) → 200"


def test_after_and_wait_until_run_after_the_response_and_show_in_the_timeline(app):
    app.deploy(
        "middleware.ts",
        """
import { NextResponse, type NextFetchEvent } from 'next/server'
export function middleware(_req: Request, event: NextFetchEvent) {
  event.waitUntil(new Promise<void>((r) => setTimeout(() => { console.log('waitUntil done'); r() }, 80)))
  return NextResponse.next()
}
""",
    )
    app.deploy(
        "app/api/job/route.ts",
        """
import { after } from 'next/server'
import { headers } from 'next/headers'
export function GET() {
  after(async () => { console.log('after sees', (await headers()).get('x-who')) })
  return new Response('done')
}
""",
    )
    r = app.request("GET", "/api/job", headers={"x-who": "ada"})
    assert r.text == "done"
    lines = {line.text: line.t_ms for line in r.logs}
    assert set(lines) == {"waitUntil done", "after sees ada"}
    body_end = r.trace.step("body").end_ms
    after = r.trace.step("after")
    assert after.start_ms >= body_end and after.end_ms >= 75
    assert all(t >= r.chunks[-1].t_ms for t in lines.values())


def test_next_headers_cookies_set_in_a_route_become_set_cookie(app):
    app.deploy(
        "app/api/prefs/route.ts",
        """
import { cookies } from 'next/headers'
export async function POST() {
  const jar = await cookies()
  jar.set('theme', 'dark', { maxAge: 60 })
  jar.delete('old')
  return Response.json({ theme: jar.get('theme')?.value, old: jar.has('old') })
}
""",
    )
    r = app.request("POST", "/api/prefs", headers={"cookie": "old=1"}, body="")
    assert r.json() == {"theme": "dark", "old": True}  # deleted, it stays, empty (tests/conformance/cookie-details)
    # Next's jar starts with the request's cookies: a rewritten one keeps its place, a new one comes after
    # (recorded in tests/conformance/request-details).
    cookies = r.headers.get_list("set-cookie")
    assert cookies[0] == "old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    assert re.fullmatch(r"theme=dark; Path=/; Expires=[^;]+ GMT; Max-Age=60", cookies[1])


def test_next_server_errors_match_next(app):
    app.deploy(
        "app/api/bad/route.ts",
        """
import { NextResponse } from 'next/server'
export function GET(req: Request) {
  const which = new URL(req.url).searchParams.get('which')
  try {
    if (which === 'relative') NextResponse.redirect('/login')
    if (which === 'status') NextResponse.redirect('http://localhost:3000/', 200)
    if (which === 'headers') NextResponse.next({ request: { headers: { a: '1' } as any } })
  } catch (e) {
    return Response.json({ name: (e as Error).name, message: (e as Error).message })
  }
  return new Response('no error')
}
""",
    )
    assert app.request("GET", "/api/bad?which=relative").json() == {
        "name": "Error",
        "message": 'URL is malformed "/login". Please use only absolute URLs - '
        "https://nextjs.org/docs/messages/middleware-relative-urls",
    }
    assert app.request("GET", "/api/bad?which=status").json() == {
        "name": "RangeError",
        "message": 'Failed to execute "redirect" on "response": Invalid status code',
    }
    wrong_headers = app.request("GET", "/api/bad?which=headers").json()
    assert wrong_headers["message"] == "request.headers must be an instance of Headers"


def test_cookie_jar_carries_a_login_across_requests():
    with nbruntime.App(cookies=True) as app:
        app.deploy(
            "middleware.ts",
            """
import { NextResponse, type NextRequest } from 'next/server'
export function middleware(req: NextRequest) {
  if (req.nextUrl.pathname === '/login') {
    const res = NextResponse.redirect(new URL('/me', req.url))
    res.cookies.set('session', 'alice', { httpOnly: true })
    return res
  }
  if (req.nextUrl.pathname === '/logout') {
    const res = NextResponse.redirect(new URL('/me', req.url))
    res.cookies.delete('session')
    return res
  }
}
""",
        )
        app.deploy(
            "app/me/route.ts",
            "import { cookies } from 'next/headers'\n"
            "export async function GET() {\n"
            "  return Response.json({ user: (await cookies()).get('session')?.value ?? null })\n"
            "}",
        )
        assert app.request("GET", "/me").json() == {"user": None}
        assert app.request("GET", "/login").status == 307
        assert app.request("GET", "/me").json() == {"user": "alice"}
        assert app.request("GET", "/me", session=False).json() == {"user": None}
        assert app.request("GET", "/logout").status == 307
        assert app.request("GET", "/me").json() == {"user": None}
        assert len(app.cookies) == 0


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{ matcher: 'api' }", "matcher.source must be a string starting with '/'"),
        ("{ matcher: [{ source: '/x', regexp: '.*' }] }", "matcher[0] has unknown key(s) 'regexp'"),
        ("{ matcher: paths }", "`paths` is not a literal"),
        ("{ matcher: '/:a:b' }", 'Must have text between two parameters, missing text after "a"'),
        ("{ matcher: '/(x' }", "Unbalanced pattern at 1"),
        ("{ matcher: [{ source: '/x', has: [{ type: 'ip', key: 'a' }] }] }", "matcher[0].has[0].type must be one of"),
    ],
)
def test_invalid_matchers_are_refused_at_deploy(app, config, message):
    source = f"const paths = ['/a']\nexport function middleware() {{}}\nexport const config = {config}\n"
    with pytest.raises(nbruntime.BuildError) as error:
        app.deploy("middleware.ts", source)
    assert message in str(error.value) and error.value.problems[0].line == 3
    assert "middleware.ts" not in app.deployments


def test_a_middleware_file_needs_its_handler_export(app):
    with pytest.raises(nbruntime.BuildError, match="must export a function named `middleware` or a default"):
        app.deploy("middleware.ts", "export const helper = 1")
    assert "middleware.ts" not in app.deployments
    app.deploy("app/ok/route.ts", "export function GET() { return new Response('ok') }")
    assert app.request("GET", "/ok").text == "ok"


@pytest.mark.parametrize(
    ("source", "yes", "no"),
    [
        (
            "/dashboard/:path*",
            ["/dashboard", "/dashboard/a/b", "/dashboard/", "/_next/data/x/dashboard.json"],
            ["/dashboardx", "/Dashboard"],
        ),
        ("/public/:id(\\d+)", ["/public/123"], ["/public/abc", "/public"]),
        ("/((?!api|_next/static).*)", ["/", "/pages/x", "/API"], ["/api/x", "/_next/static/a.js"]),
        ("/", ["/", "/index", "/_next/data/b/index.json"], ["/a"]),
        ("/files/:name+", ["/files/a", "/files/a/b"], ["/files", "/files/"]),
        ("/item{-:id}?", ["/item", "/item-4"], ["/item-"]),
        # Next's own compile (getMiddlewareMatchers of 15.5 and 16.4) and tests/conformance*/middleware-target-urls:
        # a repeated parameter without a prefix gets "/", and App Router transport suffixes match too.
        ("/x-:y*", ["/x-", "/x-/a", "/x-/a/b"], ["/x-a"]),
        ("/about", ["/about", "/about.rsc", "/about.segments/a/b.segment.rsc", "/about.json"], ["/about.txt"]),
        ("/", ["/index.rsc", "/index.segments/x.segment.rsc"], ["/a.rsc"]),
    ],
)
def test_matchers_compile_like_path_to_regexp(source, yes, no):
    regex = re.compile(to_regex(next_source(source)))
    assert [p for p in yes if not regex.match(p)] == []
    assert [p for p in no if regex.match(p)] == []


def test_next16_proxy_rules():
    with nbruntime.App(next="16") as app:
        with pytest.raises(nbruntime.BuildError, match=r"Proxy always runs on Node\.js runtime"):
            app.deploy("proxy.ts", "export function proxy() {}\nexport const runtime = 'edge'")
        with pytest.raises(nbruntime.BuildError, match=r"a proxy always runs on Node\.js"):
            app.deploy("proxy.ts", "export function proxy() {}", runtime="edge")
        proxy = app.deploy("proxy.ts", "export default function () {}")
        assert (proxy.kind, proxy.runtime) == ("proxy", "nodejs")
        with pytest.raises(nbruntime.BuildError, match=r'Both middleware file "\./middleware\.ts" and proxy file'):
            app.deploy("middleware.ts", "export function middleware() {}")
        app.undeploy("proxy.ts")
        middleware = app.deploy("middleware.ts", "export function middleware() {}")
        assert middleware.runtime == "edge" and "deprecated" in middleware.problems[0].message

    with nbruntime.App() as app:  # Next 15.5 has no proxy convention: the file is a plain module
        ignored = app.deploy("proxy.ts", "export function proxy() { throw new Error('never runs') }")
        assert ignored.kind == "module" and ignored.problems[0].severity == "warning"


def test_next16_redirects_are_relative_and_a_throwing_proxy_is_a_plain_500():
    with nbruntime.App(next="16") as app:
        app.deploy(
            "proxy.ts",
            """
import { NextResponse, type NextRequest } from 'next/server'
export function proxy(req: NextRequest) {
  if (req.nextUrl.pathname === '/boom') throw new Error('proxy bug')
  return NextResponse.redirect(new URL('/login?x=1', req.url), 308)
}
""",
        )
        r = app.request("GET", "/here")
        assert (r.status, r.headers["location"], r.headers["refresh"], r.text) == (
            308,
            "/login?x=1",
            "0;url=/login?x=1",
            "/login?x=1",
        )
        boom = app.request("GET", "/boom")
        assert (boom.status, boom.text, boom.error.message) == (500, "Internal Server Error", "proxy bug")
        assert boom.verdict == "proxy matched → threw → 500"


def test_data_files_are_written_for_cells_to_read(app):
    data = app.deploy("data/names.txt", "ada\ngrace\n")
    assert data.kind == "asset" and (app.project_dir / "data/names.txt").read_text() == "ada\ngrace\n"
    app.deploy(
        "app/api/names/route.ts",
        "import { readFileSync } from 'node:fs'\n"
        "export function GET() { return Response.json(readFileSync('data/names.txt', 'utf8').trim().split('\\n')) }",
    )
    assert app.request("GET", "/api/names").json() == ["ada", "grace"]


@pytest.mark.parametrize(("next_version", "expected"), [("15", "A/C"), ("16", "TypeError")])
def test_next15_still_allows_synchronous_headers_and_cookies(next_version, expected):
    with nbruntime.App(next=next_version) as app:
        app.deploy(
            "app/api/s/route.ts",
            """
import { headers, cookies } from 'next/headers'
export function GET() {
  let sync
  try { sync = (headers() as any).get('x-a') + '/' + (cookies() as any).get('c')?.value }
  catch (e) { sync = (e as Error).name }
  return Response.json({ sync })
}""",
        )
        assert app.request("GET", "/api/s", headers={"x-a": "A", "cookie": "c=C"}).json() == {"sync": expected}


def test_user_agent_parses_the_common_cases(app):
    app.deploy(
        "app/api/ua/route.ts",
        """
import { userAgent, type NextRequest } from 'next/server'
export function GET(req: NextRequest) {
  const { browser, os, device, isBot } = userAgent(req)
  return Response.json([browser.name, browser.major, os.name, device.type ?? null, isBot])
}""",
    )
    chrome = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36"
    )
    bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    parsed = app.request("GET", "/api/ua", headers={"user-agent": chrome}).json()
    assert parsed == ["Chrome", "126", "Windows", None, False]
    assert app.request("GET", "/api/ua", headers={"user-agent": bot}).json()[-1] is True


def test_a_proxy_asked_to_run_on_edge_is_refused_for_the_right_reason():
    # Next 16: proxy always runs on Node.js; a runtime in its config is a different build error.
    with nbruntime.App(next="16") as app:
        with pytest.raises(nbruntime.BuildError) as caught:
            app.deploy("proxy.ts", "export function proxy() {}", runtime="edge")
        assert caught.value.problems[0].name == "InvalidRuntime"
        assert "a proxy always runs on Node.js" in caught.value.problems[0].message
        assert app.deploy("proxy.ts", "export function proxy() {}", runtime="nodejs").runtime == "nodejs"
