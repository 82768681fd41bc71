"""The request panel in a real JupyterLab and a real Chromium: chunks render live, the kernel stays idle."""

import re
import time

STREAM = """%%edge app/api/stream/route.ts
export async function GET() {
  const enc = new TextEncoder()
  return new Response(new ReadableStream({
    async start(c) {
      for (let i = 1; i <= 5; i++) { await new Promise(r => setTimeout(r, 300)); c.enqueue(enc.encode(`tick ${i}\\n`)) }
      c.close()
    },
  }), { headers: { 'content-type': 'text/plain' } })
}"""

MIDDLEWARE = """%%edge middleware.ts
import { NextResponse } from 'next/server'
export function middleware() {
  const response = NextResponse.next()
  response.headers.set('x-checked', 'yes')
  return response
}
export const config = { matcher: '/api/:path*' }"""

KERNEL_STATUS = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"


def test_panel_streams_chunks_live_and_replays_from_history(lab, page):
    lab.open(page, lab.write_notebook("panel.ipynb", ["%load_ext nbruntime", STREAM, MIDDLEWARE, "%nbruntime ui"]))
    lab.run_all(page)
    send = page.locator(".jp-OutputArea button:has-text('Send')")
    send.wait_for(timeout=60_000)
    path = page.locator(".jp-OutputArea input[list]").nth(1)
    assert path.input_value() == "/api/stream"

    page.wait_for_function(f"{KERNEL_STATUS} === 'idle'")
    send.click()
    rows = page.locator(".jp-OutputArea .nbruntime-live table.nbruntime-chunks tbody tr")
    seen, kernel_states = [], set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        count = rows.count()
        if 0 < count < 5:  # mid-stream: the click was handled, the kernel must be free
            kernel_states.add(page.evaluate(KERNEL_STATUS))
        if not seen or seen[-1][1] != count:
            seen.append((time.monotonic(), count))
        if count == 5 and "200 GET" in page.locator(".nbruntime-live .nbruntime-status").first.inner_text() \
                and "receiving" not in page.locator(".nbruntime-live .nbruntime-status").first.inner_text():
            break
        time.sleep(0.03)
    counts = [count for _, count in seen]
    assert counts[-1] == 5, seen
    assert len([c for c in counts if 0 < c < 5]) >= 3, f"chunks did not render one by one: {seen}"
    first = next(t for t, c in seen if c >= 1)
    assert seen[-1][0] - first > 0.8, seen  # the first chunk was on screen long before the last one
    assert kernel_states == {"idle"}, kernel_states
    assert page.locator(".jp-OutputArea .nbruntime-live table.nbruntime-chunks").inner_text().count("tick") == 5
    verdict = page.locator(".jp-OutputArea .nbruntime-live .nbruntime-verdict").first.inner_text()
    assert verdict == "→ middleware matched → next → GET app/api/stream/route.ts → 200"

    history = page.locator(".jp-OutputArea .widget-select select")
    assert history.locator("option").count() == 1
    page.locator(".jp-OutputArea button:has-text('Replay')").click()
    page.wait_for_function("document.querySelectorAll('.jp-OutputArea .widget-select select option').length === 2",
                           timeout=20_000)
    newest = history.locator("option").first.inner_text().replace("\xa0", " ")
    assert re.fullmatch(r"2\. GET /api/stream → 200 · \d+ ms", newest), newest


def test_bad_input_gets_an_inline_message_and_nothing_is_sent(lab, page):
    lab.open(page, lab.write_notebook("bad.ipynb", ["%load_ext nbruntime", STREAM, "%nbruntime ui"]))
    lab.run_all(page)
    send = page.locator(".jp-OutputArea button:has-text('Send')")
    send.wait_for(timeout=60_000)
    path = page.locator(".jp-OutputArea input[list]").nth(1)
    path.fill("/api/a path")
    path.press("Enter")
    send.click()
    error = page.locator(".nbruntime-field-error")
    error.wait_for(timeout=10_000)
    assert "url" in error.inner_text() and "not a URL path" in error.inner_text()
    assert page.locator(".jp-OutputArea .widget-select select option").count() == 0
