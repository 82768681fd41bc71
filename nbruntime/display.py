"""How results look in a notebook: HTML for the browser, plain text for terminals and saved files."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .errors import BuildError, HandlerError, Problem
from .http import Response

if TYPE_CHECKING:
    from .app import App, Deployment
    from .build import Build
    from .local_server import LocalServer

MAX_BODY_CHARS = 20_000
_BOX = "font-family:var(--jp-code-font-family,monospace);font-size:12px;"
_ERROR = "color:var(--jp-error-color1,#c62828);"
_DIM = "color:var(--jp-ui-font-color2,#777);"
_WARNING = "color:var(--jp-warn-color1,#b26a00);"


def bundle(html: str, text: str) -> dict[str, str]:
    return {"text/html": html, "text/plain": text}


def _pre(text: str, style: str = "") -> str:
    return f'<pre style="{_BOX}margin:2px 0;{style}">{escape(text)}</pre>'


#: How each severity looks: an icon and a colour of its own, so a warning never reads as an error.
SEVERITY = {
    "error": ("✖", "var(--jp-error-color1,#c62828)"),
    "warning": ("⚠", "var(--jp-warn-color0,#a15c00)"),
}
_ANSI = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m"}
#: A problem's first line stops here; the rest of it is in the folded details.
SHORT_LINE = 110


def _count(problems: list[Problem]) -> str:
    counts = [(sum(p.severity == s for p in problems), s) for s in SEVERITY]
    return ", ".join(f"{n} {s}{'s' * (n != 1)}" for n, s in counts if n)


def _headline(problem: Problem) -> str:
    """Where, then the message's first clause: the one line to read before deciding to look closer."""
    where = problem.file + (f":{problem.line}:{problem.column or 1}" if problem.line else "")
    message = problem.message if problem.api else f"{problem.name}: {problem.message}"
    message = message.split("\n")[0]
    if len(message) > SHORT_LINE:
        message = message[: SHORT_LINE - 1].rstrip() + "…"
    return f"{where}  {message}"


def _details_lines(problem: Problem) -> list[str]:
    lines = []
    if problem.api:
        when = "fails at build" if problem.phase == "build" and problem.severity == "error" else (
            "build warning" if problem.phase == "build" else "fails when this line runs")
        lines.append(f"{problem.severity} ({problem.runtime}, {when}): {problem.message}")
        if problem.hint:
            lines.append(f"use instead: {problem.hint}")
    elif "\n" in problem.message or len(problem.message) > SHORT_LINE:
        lines.append(problem.message)
    if problem.dev:
        lines.append(f"next dev / build / start: {problem.dev}")
    return lines


def problems_text(problems: list[Problem], title: str, ansi: bool = False) -> str:
    """The report as text: per problem its icon and first line, then the details indented under it."""
    def paint(text: str, severity: str) -> str:
        return f"{_ANSI[severity]}{text}\x1b[0m" if ansi else text

    worst = "error" if any(p.severity == "error" for p in problems) else "warning"
    lines = [paint(title, worst)]
    for problem in problems:
        icon = SEVERITY.get(problem.severity, SEVERITY["error"])[0]
        lines.append(paint(f"{icon} {_headline(problem)}", problem.severity))
        body = _details_lines(problem) + (problem.frame.splitlines() if problem.frame else [])
        lines += [f"    {line}" for line in body]
    return "\n".join(lines)


def problems_html(problems: list[Problem], title: str) -> str:
    """Each problem a short line with its icon; the details (message, advice, code frame) fold under it.

    Errors come unfolded (they must be fixed to deploy); warnings folded.
    """
    worst = "error" if any(p.severity == "error" for p in problems) else "warning"
    icon, colour = SEVERITY[worst]
    html = [f'<div class="nbruntime-problems-title" style="{_BOX}color:{colour}"><b>{icon} {escape(title)}</b></div>']
    for problem in problems:
        icon, colour = SEVERITY.get(problem.severity, SEVERITY["error"])
        details = "".join(f'<div style="{_DIM if line.startswith("next dev") else ""}">{escape(line)}</div>'
                          for line in _details_lines(problem))
        frame = _pre(problem.frame) if problem.frame else ""
        html.append(
            f'<details class="nbruntime-problem nbruntime-{problem.severity}"{" open" * (problem.severity == "error")}'
            f' style="{_BOX}border-left:3px solid {colour};padding-left:6px;margin:3px 0">'
            f'<summary style="color:{colour};cursor:pointer">{icon} {escape(_headline(problem))}</summary>'
            f'<div style="margin:2px 0 2px 14px">{details}{frame}</div></details>')
    return "".join(html)


def problem_bundle(problems: list[Problem], title: str) -> dict[str, str]:
    return bundle(problems_html(problems, title), problems_text(problems, title))


def build_title(error: BuildError) -> str:
    count = len(error.problems)
    return f"Not deployed: {count} problem{'s' * (count != 1)} ({_count(error.problems)})"


def build_error_bundle(error: BuildError) -> dict[str, str]:
    return problem_bundle(error.problems, build_title(error))


def deployment_bundle(deployment: Deployment) -> dict[str, str]:
    if deployment.kind == "asset":
        size = len(deployment.source.encode())
        text = f"Wrote {deployment.path} · data file, {size:,} B (node code reads it from the app's folder)"
        return bundle(f'<div style="{_BOX}">✔ Wrote <b>{escape(deployment.path)}</b> <span style="{_DIM}">'
                      f'· data file, {size:,} B (node code reads it from the app\'s folder)</span></div>', text)
    what = {
        "route": f"route {deployment.route.pattern}" if deployment.route else "",
        "middleware": "middleware",
        "proxy": "proxy",
        "module": "module",
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
        warnings = problem_bundle(deployment.problems, _count(deployment.problems))
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


def _error_html(error: HandlerError) -> str:
    """The error in one red line with its code frame; the notes and the stack fold under it."""
    icon, colour = SEVERITY["error"]
    more = "\n".join([*error.notes, error.stack]).strip()
    folded = _details("notes and stack", _pre(more, _DIM)) if more else ""
    return (f'<div class="nbruntime-error" style="{_BOX}color:{colour};border-left:3px solid {colour};'
            f'padding-left:6px"><b>{icon} {escape(str(error))}</b>{_pre(error.frame) if error.frame else ""}'
            f"{folded}</div>")


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
        html.append(_details(f"headers ({len(pairs)})", table(pairs)))
    if cookies := set_cookies(response):
        html.append(_details(f"cookies set ({len(cookies)})", table(cookies), open_=True))
    if response.logs:
        html.append(_pre("\n".join(f"console.{x.level}: {x.text}" for x in response.logs), _DIM))
    if events is not None:
        rows = [(f"{t:.1f} ms", e.get("event", "message"), e.get("id", ""), e.get("data", "")) for t, e in events]
        html.append(table(rows, "nbruntime-events", ("arrived", "event", "id", "data")))
    elif len(response.chunks) > 1 or live:
        rows = [(f"{c.t_ms:.1f} ms", f"{len(c.data)} B", _show(c.data)) for c in chunks]
        html.append(table(rows, "nbruntime-chunks", ("arrived", "size", "chunk")))
    elif chunks:
        html.append(_pre(_show(response.body)))
    if hidden:
        html.append(f'<div style="{_DIM}{_BOX}">{escape(hidden)}</div>')
    if response.error:
        html.append(_error_html(response.error))
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
        progress = f" · receiving… {elapsed}, {size:,} B in {_plural(len(response.chunks), 'chunk')}"
    else:
        progress = f" · {size:,} B in {_plural(len(response.chunks), 'chunk')}" if response.chunks else ""
        if response.ttfb_ms is not None:
            progress += f" · first byte {response.ttfb_ms:.1f} ms"
        if response.elapsed_ms is not None:
            progress += f" · total {response.elapsed_ms:.1f} ms"
    head = f"{response.status} " if response.status else "… "
    return f"{head}{response.method} {response.url}{progress}"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"


#: Every row's background is set, so the notebook's own zebra striping (which skips nested tables and
#: widgets) cannot make it uneven; a cell's <pre> is transparent, so it never paints a box of its own.
_ROW = ("background:transparent", "background:rgba(127,127,127,0.08)")
_CELL = "text-align:left;padding:1px 10px 1px 4px;vertical-align:top;border:none"
_CELL_PRE = "margin:0;padding:0;background:transparent;border:none;white-space:pre-wrap"


def table(rows, css_class: str = "", head: tuple[str, ...] = ()) -> str:
    heading = "".join(f"<th style='{_CELL};font-weight:bold'>{escape(h)}</th>" for h in head)
    cells = "".join(f"<tr style='{_ROW[i % 2]}'>" + "".join(
        f"<td style='{_CELL}'><pre style='{_CELL_PRE}'>{escape(str(v))}</pre></td>" for v in row) + "</tr>"
        for i, row in enumerate(rows))
    head_row = f"<thead><tr style='{_ROW[0]}'>{heading}</tr></thead>" if head else ""
    return (f'<table class="{css_class}" style="{_BOX}border-collapse:collapse;border:none">'
            f"{head_row}<tbody>{cells}</tbody></table>")


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
    legend = [("#90caf9", "█", "waiting for the first byte"), ("#1565c0", "┃", "a chunk (taller: bigger)")]
    if work:
        legend.append(("#ffb74d", "▂", "after() / waitUntil() work"))
    keys = " ".join(f'<span style="color:{colour}">{mark}</span> {escape(label)}' for colour, mark, label in legend)
    return (f'<svg class="nbruntime-timeline" width="{width}" height="{height}">{"".join(parts)}</svg>'
            f'<div class="nbruntime-legend" style="{_BOX}{_DIM}font-size:10px">{keys}</div>')


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
        f"serving: {app.server.url if app.server else 'no (%nbruntime serve answers on a real port)'}",
        f"Next.js: {app.next}",
        f"project folder: {app.project_dir}",
        f"deployments: {len(app.deployments)}",
    ]
    lines += [f"  {d.path} ({d.runtime}, {d.kind})" for d in app.deployments.values()]
    return bundle(_pre("\n".join(lines)), "\n".join(lines))


def serving_bundle(server: LocalServer) -> dict[str, str]:
    url = server.url
    routes = [r.pattern for r in server.app.routes if "[" not in r.pattern]
    example = f"curl -i {url}{routes[0] if routes else '/'}"
    text = (f"Serving the app at {url} (127.0.0.1 only): curl, a browser, fetch() or a load tool can ask it.\n"
            f"  {example}\n%nbruntime serve stop (or the kernel's end) stops it.")
    html = (f'<div style="{_BOX}">▶ Serving the app at <a href="{escape(url)}" target="_blank">{escape(url)}</a> '
            f'<span style="{_DIM}">(127.0.0.1 only): curl, a browser, fetch() or a load tool can ask it</span></div>'
            f"{_pre(example)}<div style=\"{_BOX}{_DIM}\">%nbruntime serve stop (or the kernel's end) stops it.</div>")
    return bundle(html, text)


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
    return bundle(table(rows, "nbruntime-routes", ("path", "file", "runtime", "exports")), text)


def build_bundle(build: Build) -> dict[str, str]:
    """The route table ``next build`` prints: ○ static, ● prerendered per param, ƒ dynamic."""
    warnings = "".join(f'<div style="{_WARNING}">⚠ {escape(w)}</div>' for w in build.warnings)
    rows = [(route.symbol, "\n".join([route.pattern, *(f"  ├ {p}" for p in route.paths if route.kind == "ssg")]),
             route.file, _seconds(route.revalidate), route.reason)
            for route in sorted(build.routes, key=lambda r: r.pattern)]
    legend = "○ static · ● prerendered with generateStaticParams · ƒ dynamic (rendered for each request)"
    html = warnings + table(rows, "nbruntime-build", ("", "route", "file", "revalidate", "why")) + \
        f'<div style="{_DIM}">{legend}</div>'
    return bundle(html, str(build))


def _seconds(revalidate: float | bool | None) -> str:
    if revalidate is False:
        return "never"
    return "" if revalidate is None else f"{revalidate:g} s"
