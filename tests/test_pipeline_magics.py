"""The pipeline through the magics: the issue's example, ``%request --session``, ``%nbruntime next 16``."""

import IPython
import pytest
from IPython.testing.globalipapp import get_ipython
from IPython.utils.capture import capture_output

import nbruntime
from nbruntime import app as app_module


@pytest.fixture
def ip():
    app_module._shared_app = None
    shell = get_ipython() or IPython.get_ipython()  # the test shell starts once per session
    shell.run_line_magic("load_ext", "nbruntime")
    yield shell
    nbruntime.get_app().close()
    app_module._shared_app = None


def run(ip, cell: str) -> str:
    with capture_output() as captured:
        result = ip.run_cell(cell)
    assert result.error_in_exec is None, result.error_in_exec
    return captured.stdout + "".join(o.data.get("text/plain", "") for o in captured.outputs)


def test_issue_example_in_cells(ip):
    run(
        ip,
        """%%edge middleware.ts
import { NextResponse, type NextRequest } from 'next/server'
export function middleware(request: NextRequest) {
  if (!request.cookies.has('session'))
    return NextResponse.redirect(new URL('/login', request.url))
  const headers = new Headers(request.headers)
  headers.set('x-user', request.cookies.get('session')!.value)
  return NextResponse.next({ request: { headers } })
}
export const config = { matcher: ['/dashboard/:path*'] }""",
    )
    run(
        ip,
        """%%node app/dashboard/[...slug]/route.ts
export async function GET(request: Request) {
  return new Response(`hello ${request.headers.get('x-user')}`)
}""",
    )
    out = run(ip, "%request GET /dashboard/billing -b session=alice")
    assert "200 GET http://localhost:3000/dashboard/billing" in out and "hello alice" in out
    assert "→ middleware matched → next → GET app/dashboard/[...slug]/route.ts {'slug': ['billing']} → 200" in out
    out = run(ip, "%request GET /dashboard")
    assert "307 GET" in out and "location: http://localhost:3000/login" in out
    assert "→ middleware matched → redirect 307 → /login" in out


def test_session_keeps_cookies_between_requests(ip):
    run(
        ip,
        """%%node app/login/route.ts
export function GET() {
  return new Response('ok', { headers: { 'set-cookie': 'session=bob; Path=/' } })
}""",
    )
    run(
        ip,
        """%%node app/me/route.ts
import { cookies } from 'next/headers'
export async function GET() { return new Response(`me=${(await cookies()).get('session')?.value}`) }""",
    )
    run(ip, "%request --session GET /login")
    assert "me=bob" in run(ip, "%request --session GET /me")
    assert "me=undefined" in run(ip, "%request GET /me")


def test_switching_to_next16_makes_proxy_run(ip):
    run(
        ip,
        """%%node proxy.ts
import { NextResponse } from 'next/server'
export function proxy() { return NextResponse.json({ from: 'proxy' }) }""",
    )
    run(ip, "%%node app/api/x/route.ts\nexport function GET() { return new Response('route') }")
    assert "route" in run(ip, "%request GET /api/x")
    out = run(ip, "%nbruntime next 16")
    assert "Next.js: 16" in out
    out = run(ip, "%request GET /api/x")
    assert '{"from":"proxy"}' in out and "→ proxy matched → responded 200" in out
