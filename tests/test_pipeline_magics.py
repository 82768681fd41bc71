"""The pipeline through the magics: the issue's example, ``%request --session``, ``%nbruntime next 16``."""

import pytest
from examples import ISSUE_MIDDLEWARE

import nbruntime
from nbruntime import app as app_module


@pytest.fixture
def ip(ipython):
    app_module._shared_app = None
    yield ipython
    nbruntime.get_app().close()
    app_module._shared_app = None


def test_issue_example_in_cells(ip, run_cell):
    run_cell("%%edge middleware.ts\n" + ISSUE_MIDDLEWARE)
    run_cell("""%%node app/dashboard/[...slug]/route.ts
export async function GET(request: Request) {
  return new Response(`hello ${request.headers.get('x-user')}`)
}""",
    )
    out = run_cell("%request GET /dashboard/billing -b session=alice")
    assert "200 GET http://localhost:3000/dashboard/billing" in out and "hello alice" in out
    assert "→ middleware matched → next → GET app/dashboard/[...slug]/route.ts {'slug': ['billing']} → 200" in out
    out = run_cell("%request GET /dashboard")
    assert "307 GET" in out and "location: /login" in out
    assert "→ middleware matched → redirect 307 → /login" in out


def test_session_keeps_cookies_between_requests(ip, run_cell):
    run_cell("""%%node app/login/route.ts
export function GET() {
  return new Response('ok', { headers: { 'set-cookie': 'session=bob; Path=/' } })
}""",
    )
    run_cell("""%%node app/me/route.ts
import { cookies } from 'next/headers'
export async function GET() { return new Response(`me=${(await cookies()).get('session')?.value}`) }""",
    )
    run_cell("%request --session GET /login")
    assert "me=bob" in run_cell("%request --session GET /me")
    assert "me=undefined" in run_cell("%request GET /me")


def test_switching_to_next16_makes_proxy_run(ip, run_cell):
    run_cell("""%%node proxy.ts
import { NextResponse } from 'next/server'
export function proxy() { return NextResponse.json({ from: 'proxy' }) }""",
    )
    run_cell("%%node app/api/x/route.ts\nexport function GET() { return new Response('route') }")
    assert "route" in run_cell("%request GET /api/x")
    out = run_cell("%nbruntime next 16")
    assert "Next.js: 16" in out
    out = run_cell("%request GET /api/x")
    assert '{"from":"proxy"}' in out and "→ proxy matched → responded 200" in out
