"""How results look in a notebook: HTML for the browser, plain text for terminals and saved files."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .errors import BuildError, HandlerError, Problem
from .http import Response

if TYPE_CHECKING:
    from .app import App, Deployment
    from .build import Build

MAX_BODY_CHARS = 20_000
_BOX = "font-family:var(--jp-code-font-family,monospace);font-size:12px;"
_ERROR = "color:var(--jp-error-color1,#c62828);"
_DIM = "color:var(--jp-ui-font-color2,#777);"
_WARNING = "color:var(--jp-warn-color1,#b26a00);"


def bundle(html: str, text: str) -> dict[str, str]:
    return {"text/html": html, "text/plain": text}


def _pre(text: str, style: str = "") -> str:
    return f'<pre style="{_BOX}margin:2px 0;{style}">{escape(text)}</pre>'


def problem_bundle(problems: list[Problem], title: str) -> dict[str, str]:
    def dev(p: Problem) -> str:  # where `next dev` behaves otherwise (compatibility problems say so)
        return f"next dev / build / start: {p.dev}" if p.dev else ""

    text = [title] + [f"{p}\n{dev(p)}\n{p.frame}".replace("\n\n", "\n").rstrip() for p in problems]
    html = f'<div style="{_ERROR}"><b>{escape(title)}</b></div>' + "".join(
        f'<div style="{_ERROR}">{escape(str(p))}</div>'
        + (f'<div style="{_DIM}">{escape(dev(p))}</div>' if p.dev else "")
        + (_pre(p.frame) if p.frame else "")
        for p in problems
    )
    return bundle(html, "\n".join(text))


def build_error_bundle(error: BuildError) -> dict[str, str]:
    count = len(error.problems)
    return problem_bundle(error.problems, f"Not deployed: {count} problem{'s' * (count != 1)}")


def deployment_bundle(deployment: Deployment) -> dict[str, str]:
    what = {
        "route": f"route {deployment.route.pattern}" if deployment.route else "",
        "middleware": "middleware",
        "proxy": "proxy",
        "module": "module",
        "asset": "data file",
    }[deployment.kind]
    exports = ", ".join(deployment.exports) or "no exports"
    packages = ", ".join(f"{name}@{version}" for name, version in deployment.packages.items())
    extra = f" · bundled {packages}" if packages else ""
    text = f"Deployed {deployment.path} ({deployment.runtime}) · {what} · {exports}{extra}"
    html = (
        f'<div style="{_BOX}">✔ Deployed <b>{escape(deployment.path)}</b> '
        f'<span style="{_DIM}">({escape(deployment.runtime)}) · {escape(what)} · {escape(exports)}'
        f"{escape(extra)}</span></div>"
    )
    if deployment.problems:
        warnings = problem_bundle(deployment.problems, "Warnings")
        return bundle(html + warnings["text/html"], text + "\n" + warnings["text/plain"])
    return bundle(html, text)


def handler_error_text(error: HandlerError) -> str:
    lines = [str(error)]
    if error.frame:
        lines.append(error.frame)
    if error.stack:
        lines.append(error.stack)
    lines.extend(error.notes)
    return "\n".join(lines)


def response_bundle(response: Response, live: bool = False, now_ms: float | None = None) -> dict[str, str]:
    """The response: status, verdict, headers, cookies, console output, the body chunk by chunk, timeline, error."""
    status = _status_line(response, live, now_ms)
    verdict = getattr(response, "verdict", None)
    chunks, hidden = _visible_chunks(response.chunks)
    events = sse_events(response) if "text/event-stream" in (response.headers.get("content-type") or "") else None

    trace = getattr(response, "trace", None)
    packages = "; ".join(f"{file}: " + ", ".join(f"{name}@{version}" for name, version in bundle.items())
                         for file, bundle in (trace.packages if trace else {}).items())
    text = [status] + ([f"→ {verdict}"] if verdict else []) + ([f"packages: {packages}"] if packages else [])
    text += [f"{k}: {v}" for k, v in response.headers.multi_items()]
    text += [f"[console.{line.level}] {line.text}" for line in response.logs]
    if events is not None:
        text += [f"[{t:8.1f} ms] event: {e.get('event', 'message')} {e.get('data', '')}" for t, e in events]
    elif len(response.chunks) > 1 or live:
        text += [f"[{c.t_ms:8.1f} ms] {_show(c.data)}" for c in chunks]
    elif chunks:
        text += ["", _show(response.body)]
    if hidden:
        text.append(hidden)
    if response.error:
        text.append(handler_error_text(response.error))

    colour = _ERROR if response.error or response.status >= 500 else ""
    html = [f'<div class="nbruntime-status" style="{_BOX}"><b style="{colour}">{escape(status)}</b></div>']
    if verdict:
        html.append(f'<div class="nbruntime-verdict" style="{_BOX}">→ {escape(verdict)}</div>')
    if packages:
        html.append(f'<div style="{_BOX}{_DIM}">packages: {escape(packages)}</div>')
    html.append(_timeline_svg(response, now_ms))
    if response.headers:
        pairs = response.headers.multi_items()
        html.append(_details(f"headers ({len(pairs)})", _table(pairs)))
    if cookies := set_cookies(response):
        html.append(_details(f"cookies set ({len(cookies)})", _table(cookies), open_=True))
    if response.logs:
        html.append(_pre("\n".join(f"console.{x.level}: {x.text}" for x in response.logs), _DIM))
    if events is not None:
        rows = [(f"{t:.1f} ms", e.get("event", "message"), e.get("id", ""), e.get("data", "")) for t, e in events]
        html.append(_table(rows, "nbruntime-events"))
    elif len(response.chunks) > 1 or live:
        rows = [(f"{c.t_ms:.1f} ms", f"{len(c.data)} B", _show(c.data)) for c in chunks]
        html.append(_table(rows, "nbruntime-chunks"))
    elif chunks:
        html.append(_pre(_show(response.body)))
    if hidden:
        html.append(f'<div style="{_DIM}{_BOX}">{escape(hidden)}</div>')
    if response.error:
        html.append(_pre(handler_error_text(response.error), _ERROR))
    return bundle("".join(html), "\n".join(text))


#: How many chunks the views list; the rest are counted, and the whole body stays in Response.body.
MAX_CHUNKS_SHOWN = 500


def _visible_chunks(chunks: list) -> tuple[list, str]:
    if len(chunks) <= MAX_CHUNKS_SHOWN:
        return chunks, ""
    hidden = chunks[MAX_CHUNKS_SHOWN:]
    size = sum(len(c.data) for c in hidden)
    return chunks[:MAX_CHUNKS_SHOWN], (f"… {len(hidden)} more chunks ({size:,} bytes) not shown: "
                                       "the whole body is in response.body (e.g. nbruntime.get_app().history[-1])")


def _status_line(response: Response, live: bool, now_ms: float | None) -> str:
    size = sum(len(c.data) for c in response.chunks)
    if live:
        elapsed = f"{now_ms:.0f} ms" if now_ms is not None else "…"
        progress = f" · receiving… {elapsed}, {size:,} B in {len(response.chunks)} chunks"
    else:
        progress = f" · {size:,} B in {len(response.chunks)} chunks" if response.chunks else ""
        if response.ttfb_ms is not None:
            progress += f" · first byte {response.ttfb_ms:.1f} ms"
        if response.elapsed_ms is not None:
            progress += f" · total {response.elapsed_ms:.1f} ms"
    head = f"{response.status} " if response.status else "… "
    return f"{head}{response.method} {response.url}{progress}"


def _table(rows, css_class: str = "") -> str:
    cells = "".join("<tr>" + "".join(f"<td style='text-align:left;padding-right:10px;vertical-align:top'>"
                                      f"<pre style='margin:0'>{escape(str(v))}</pre></td>" for v in row) + "</tr>"
                    for row in rows)
    return f'<table class="{css_class}" style="{_BOX}">{cells}</table>'


def _details(summary: str, body: str, open_: bool = False) -> str:
    return f'<details{" open" * open_}><summary style="{_BOX}">{escape(summary)}</summary>{body}</details>'


def set_cookies(response: Response) -> list[tuple[str, str, str]]:
    """The cookies a response sets: name, value, and the attributes (Path, Max-Age, ...)."""
    cookies = []
    for header in response.headers.get_list("set-cookie"):
        pair, _, attributes = header.partition(";")
        name, _, value = pair.partition("=")
        cookies.append((name.strip(), value.strip(), attributes.strip()))
    return cookies


def sse_events(response: Response) -> list[tuple[float, dict[str, str]]]:
    """Server-sent events in the body so far, each with the arrival time of the chunk that completed it."""
    events, pending = [], ""
    for chunk in response.chunks:
        pending += chunk.data.decode("utf-8", "replace").replace("\r\n", "\n")
        *complete, pending = pending.split("\n\n")
        for block in complete:
            fields: dict[str, str] = {}
            for line in block.split("\n"):
                if line and not line.startswith(":"):
                    key, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    fields[key] = fields[key] + "\n" + value if key == "data" and key in fields else value
            if fields:
                events.append((chunk.t_ms, fields))
    return events


def _timeline_svg(response: Response, now_ms: float | None, width: int = 560, height: int = 34) -> str:
    """Time to first byte as a bar, each chunk as a tick (taller for bigger chunks), after-response work."""
    end = max([response.elapsed_ms or 0, now_ms or 0] + [c.t_ms for c in response.chunks] + [1])
    work = response.trace.step("after") if response.trace else None  # after() / waitUntil() work
    end = max(end, work.end_ms if work else 0)
    x = lambda t: 4 + (width - 8) * t / end  # noqa: E731 - a scale, used only here
    parts = [f'<line x1="4" y1="{height - 8}" x2="{width - 4}" y2="{height - 8}" stroke="#999"/>']
    if response.ttfb_ms is not None:
        parts.append(f'<rect x="4" y="{height - 14}" width="{x(response.ttfb_ms) - 4:.1f}" height="6" fill="#90caf9">'
                     f"<title>time to first byte {response.ttfb_ms:.1f} ms</title></rect>")
    if response.trace and response.trace.cache:  # a prerendered route's copy: what the cache did
        parts.append(f'<text class="nbruntime-cache" x="4" y="9" font-size="9" fill="#6a1b9a">'
                     f"{escape(response.trace.cache_summary)}</text>")
    biggest = max([len(c.data) for c in response.chunks] + [1])
    for c in response.chunks:
        tall = 6 + 14 * (len(c.data) / biggest)
        parts.append(f'<line class="nbruntime-tick" x1="{x(c.t_ms):.1f}" x2="{x(c.t_ms):.1f}" y1="{height - 8}" '
                     f'y2="{height - 8 - tall:.1f}" stroke="#1565c0"><title>{c.t_ms:.1f} ms, {len(c.data)} B'
                     "</title></line>")
    if work:
        start, span = x(work.start_ms), max(x(work.end_ms) - x(work.start_ms), 1)
        parts.append(f'<rect class="nbruntime-after" x="{start:.1f}" y="{height - 6}" width="{span:.1f}" height="4" '
                     f'fill="#ffb74d"><title>after-response work, {work.start_ms:.1f} to {work.end_ms:.1f} ms</title>'
                     "</rect>")
    parts.append(f'<text x="{width - 4}" y="{height - 0.5}" font-size="9" text-anchor="end" fill="#777">'
                 f"{end:.0f} ms</text>")
    return f'<svg class="nbruntime-timeline" width="{width}" height="{height}">{"".join(parts)}</svg>'


def _show(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(data)} bytes of binary data>"
    if len(text) > MAX_BODY_CHARS:
        return text[:MAX_BODY_CHARS] + f"\n… {len(text) - MAX_BODY_CHARS} more characters (see Response.text)"
    return text.rstrip("\n")


def status_bundle(app: App) -> dict[str, str]:
    pid = app.host_pid
    lines = [
        f"host: {'running, pid ' + str(pid) if pid else 'not running (starts on first use)'}",
        f"restarts: {app.restarts}",
        f"origin: {app.origin}",
        f"Next.js: {app.next}",
        f"project folder: {app.project_dir}",
        f"deployments: {len(app.deployments)}",
    ]
    lines += [f"  {d.path} ({d.runtime}, {d.kind})" for d in app.deployments.values()]
    return bundle(_pre("\n".join(lines)), "\n".join(lines))


def routes_bundle(app: App) -> dict[str, str]:
    rows = [
        (r.pattern, r.file, app.deployments[r.file].runtime, ", ".join(app.deployments[r.file].exports))
        for r in app.routes
    ]
    for d in app.deployments.values():
        if d.kind in ("middleware", "proxy"):
            paths = "every path" if d.matchers is None else ", ".join(m.source for m in d.matchers)
            rows.insert(0, (f"({paths})", d.path, d.runtime, d.kind))
    if not rows:
        return bundle("<i>No routes deployed.</i>", "No routes deployed.")
    text = "\n".join(f"{p:<28} {f:<40} {r:<7} {m}" for p, f, r, m in rows)
    html = "".join(
        f"<tr><td>{escape(p)}</td><td>{escape(f)}</td><td>{escape(r)}</td><td>{escape(m)}</td></tr>"
        for p, f, r, m in rows
    )
    head = "<tr><th>path</th><th>file</th><th>runtime</th><th>exports</th></tr>"
    return bundle(f'<table style="{_BOX}">{head}{html}</table>', text)


def build_bundle(build: Build) -> dict[str, str]:
    """The route table ``next build`` prints: ○ static, ● prerendered per param, ƒ dynamic."""
    text = str(build)
    warnings = "".join(f'<div style="{_WARNING}">⚠ {escape(w)}</div>' for w in build.warnings)
    rows = "".join(
        f"<tr><td>{escape(route.symbol)}</td><td>{escape(route.pattern)}"
        + "".join(f"<br>&nbsp;&nbsp;├ {escape(path)}" for path in (route.paths if route.kind == "ssg" else []))
        + f"</td><td>{escape(route.file)}</td><td>{escape(_seconds(route.revalidate))}</td>"
        f'<td style="{_DIM}">{escape(route.reason)}</td></tr>'
        for route in sorted(build.routes, key=lambda r: r.pattern)
    )
    head = "<tr><th></th><th>route</th><th>file</th><th>revalidate</th><th></th></tr>"
    legend = "○ static · ● prerendered with generateStaticParams · ƒ dynamic (rendered for each request)"
    return bundle(f'{warnings}<table style="{_BOX}">{head}{rows}</table><div style="{_DIM}">{legend}</div>', text)


def _seconds(revalidate: float | bool | None) -> str:
    if revalidate is False:
        return "never"
    return "" if revalidate is None else f"{revalidate:g} s"
