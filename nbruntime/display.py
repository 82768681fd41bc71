"""How results look in a notebook: HTML for the browser, plain text for terminals and saved files."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .errors import BuildError, HandlerError, Problem
from .http import Response

if TYPE_CHECKING:
    from .app import App, Deployment

MAX_BODY_CHARS = 20_000
_BOX = "font-family:var(--jp-code-font-family,monospace);font-size:12px;"
_ERROR = "color:var(--jp-error-color1,#c62828);"
_DIM = "color:var(--jp-ui-font-color2,#777);"


def bundle(html: str, text: str) -> dict[str, str]:
    return {"text/html": html, "text/plain": text}


def _pre(text: str, style: str = "") -> str:
    return f'<pre style="{_BOX}margin:2px 0;{style}">{escape(text)}</pre>'


def problem_bundle(problems: list[Problem], title: str) -> dict[str, str]:
    text = [title] + [f"{p}\n{p.frame}".rstrip() for p in problems]
    html = f'<div style="{_ERROR}"><b>{escape(title)}</b></div>' + "".join(
        f'<div style="{_ERROR}">{escape(str(p))}</div>' + (_pre(p.frame) if p.frame else "") for p in problems
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
    }[deployment.kind]
    exports = ", ".join(deployment.exports) or "no exports"
    text = f"Deployed {deployment.path} ({deployment.runtime}) · {what} · {exports}"
    html = (
        f'<div style="{_BOX}">✔ Deployed <b>{escape(deployment.path)}</b> '
        f'<span style="{_DIM}">({escape(deployment.runtime)}) · {escape(what)} · {escape(exports)}</span></div>'
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


def response_bundle(response: Response, live: bool = False) -> dict[str, str]:
    """The response: status line, headers, console output, the body chunk by chunk, and any error."""
    state = " (receiving…)" if live else ""
    timing = ""
    if response.ttfb_ms is not None:
        timing = f" · first byte {response.ttfb_ms:.1f} ms"
    if response.elapsed_ms is not None:
        timing += f" · total {response.elapsed_ms:.1f} ms"
    status = (
        f"{response.status} {response.method} {response.url}{timing}{state}"
        if response.status
        else (f"… {response.method} {response.url}{state}")
    )
    text = [status]
    text += [f"{k}: {v}" for k, v in response.headers.multi_items()]
    text += [f"[console.{line.level}] {line.text}" for line in response.logs]
    chunks = response.chunks
    if len(chunks) > 1 or live:
        text += [f"[{c.t_ms:8.1f} ms] {_show(c.data)}" for c in chunks]
    elif chunks:
        text.append("")
        text.append(_show(response.body))
    if response.error:
        text.append(handler_error_text(response.error))

    colour = _ERROR if response.error or response.status >= 500 else ""
    html = [f'<div style="{_BOX}"><b style="{colour}">{escape(status)}</b></div>']
    if response.headers:
        rows = "".join(
            f"<tr><td style='{_DIM}text-align:right;padding-right:8px'>{escape(k)}</td>"
            f"<td style='text-align:left'>{escape(v)}</td></tr>"
            for k, v in response.headers.multi_items()
        )
        html.append(
            f'<details><summary style="{_BOX}">headers ({len(response.headers.multi_items())})</summary>'
            f'<table style="{_BOX}">{rows}</table></details>'
        )
    if response.logs:
        html.append(_pre("\n".join(f"console.{x.level}: {x.text}" for x in response.logs), _DIM))
    if len(chunks) > 1 or live:
        rows = "".join(
            f"<tr><td style='{_DIM}text-align:right;padding-right:8px'>{c.t_ms:.1f} ms</td>"
            f"<td style='{_DIM}text-align:right;padding-right:8px'>{len(c.data)} B</td>"
            f"<td style='text-align:left'><pre style='margin:0'>{escape(_show(c.data))}</pre></td></tr>"
            for c in chunks
        )
        html.append(f'<table class="nbruntime-chunks" style="{_BOX}">{rows}</table>')
    elif chunks:
        html.append(_pre(_show(response.body)))
    if response.error:
        html.append(_pre(handler_error_text(response.error), _ERROR))
    return bundle("".join(html), "\n".join(text))


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
            rows.insert(0, ("(every matched path)", d.path, d.runtime, d.kind))
    if not rows:
        return bundle("<i>No routes deployed.</i>", "No routes deployed.")
    text = "\n".join(f"{p:<28} {f:<40} {r:<7} {m}" for p, f, r, m in rows)
    html = "".join(
        f"<tr><td>{escape(p)}</td><td>{escape(f)}</td><td>{escape(r)}</td><td>{escape(m)}</td></tr>"
        for p, f, r, m in rows
    )
    head = "<tr><th>path</th><th>file</th><th>runtime</th><th>exports</th></tr>"
    return bundle(f'<table style="{_BOX}">{head}{html}</table>', text)
