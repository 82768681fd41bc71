"""The deployed cells as a real Next.js App Router project, with a test that replays the app's history.

The project pins the Next.js version the app emulates; each file gets the segment config that makes
``next build`` pick the runtime the cell ran under. ``replay.test.mjs`` sends the recorded requests to
``next start`` (``BASE_URL``, default ``http://localhost:3000``) and expects the answers the emulator gave:
the project's own fidelity check.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING

from . import npm
from .project import PACKAGES, major
from .segment import exported_consts, parse

if TYPE_CHECKING:
    from .app import App, Deployment, Exchanged

DEV_PACKAGES = {"typescript": "5.9.3", "@types/node": "20.19.43", "@types/react": "19.1.17"}
TSCONFIG = {
    "compilerOptions": {
        "target": "ES2017", "lib": ["dom", "dom.iterable", "esnext"], "allowJs": True, "skipLibCheck": True,
        "strict": True, "noEmit": True, "esModuleInterop": True, "module": "esnext", "moduleResolution": "bundler",
        "resolveJsonModule": True, "isolatedModules": True, "jsx": "preserve", "incremental": True,
        "plugins": [{"name": "next"}], "paths": {"@/*": ["./*"]},
    },
    "include": ["next-env.d.ts", "**/*.ts", "**/*.tsx", ".next/types/**/*.ts"],
    "exclude": ["node_modules"],
}
#: Headers the replay test does not pin: they change with the connection, the clock or the build.
UNPINNED_HEADERS = {"connection", "keep-alive", "transfer-encoding", "date", "etag", "last-modified", "age",
                    "x-nextjs-date"}


def with_runtime(deployment: Deployment) -> str:
    """The cell's source with the segment config that gives it, under ``next build``, the runtime it ran under."""
    source, kind, runtime = deployment.source, deployment.kind, deployment.runtime
    consts = exported_consts(parse(source, deployment.path))
    if kind == "route":
        if "runtime" in consts:
            return _replace(source, consts["runtime"], f"'{runtime}'")
        return source if runtime == "nodejs" else source.rstrip("\n") + f"\n\nexport const runtime = '{runtime}'\n"
    if kind == "middleware":  # edge unless its config says otherwise, in 15 and (deprecated) in 16
        config = consts.get("config")
        default = "edge"
        if config is not None and config.type == "object":
            for pair in config.children:
                key = pair.child_by_field_name("key") if pair.type == "pair" else None
                if key is not None and key.text.decode().strip("'\"") == "runtime":
                    return _replace(source, pair.child_by_field_name("value"), f"'{runtime}'")
            if runtime == default:
                return source
            brace = config.start_byte + 1
            encoded = source.encode()
            return (encoded[:brace] + f" runtime: '{runtime}',".encode() + encoded[brace:]).decode()
        if runtime == default:
            return source
        return source.rstrip("\n") + f"\n\nexport const config = {{ runtime: '{runtime}' }}\n"
    return source


def _replace(source: str, node, text: str) -> str:
    encoded = source.encode()
    return (encoded[: node.start_byte] + text.encode() + encoded[node.end_byte :]).decode()


def replay_cases(app: App) -> list[dict]:
    """The history as data for the replay test: each request and the answer the emulator gave."""
    return [_case(app, entry) for entry in app.history]


def _case(app: App, entry: Exchanged) -> dict:
    request, response = entry.request, entry.response
    headers = {name: value for name, value in request.headers if name not in ("host", "content-length")}
    expected_headers = {name: [v.replace(app.origin, "<BASE>") for v in response.headers.get_list(name)]
                        for name in response.headers if name not in UNPINNED_HEADERS}
    title = None
    if "text/html" in (response.headers.get("content-type") or "") and "<title>" in response.text:
        title = response.text.split("<title>", 1)[1].split("</title>", 1)[0]
    return {
        "name": f"{request.method} {request.url[len(app.origin):] or '/'}",
        "method": request.method,
        "path": request.url[len(app.origin):] or "/",
        "headers": headers,
        "body_b64": base64.b64encode(request.body).decode() if request.body is not None else None,
        "status": response.status,
        "headers_expected": expected_headers,
        "title": title,
        **({} if title else _expected_body(app, response.body)),
    }


def _expected_body(app: App, body: bytes) -> dict:
    try:
        return {"text_expected": body.decode("utf-8").replace(app.origin, "<BASE>")}
    except UnicodeDecodeError:
        return {"body_b64_expected": base64.b64encode(body).decode()}


REPLAY_TEST = """// Replays the requests recorded in the notebook against `next start` and expects the same answers.
// Run: npm run build && npm start, then: npm test (BASE_URL defaults to http://localhost:3000).
// Next builds request.url and redirect locations from its own host name (localhost unless -H says otherwise):
// ask it for that host, as the emulator's answers assume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const BASE = process.env.BASE_URL ?? 'http://localhost:3000';
const UNPINNED = %(unpinned)s;
const cases = JSON.parse(readFileSync(new URL('./replay.json', import.meta.url), 'utf8'));
const absolute = (value) => value.replaceAll('<BASE>', BASE).replace(/Expires=[^;]+/g, 'Expires=<date>');

for (const c of cases) {
  test(c.name, async () => {
    const body = c.body_b64 === null ? undefined : Buffer.from(c.body_b64, 'base64');
    // The emulator never compresses; fetch would ask for gzip unless told otherwise.
    const headers = { 'accept-encoding': 'identity', ...c.headers };
    const response = await fetch(BASE + c.path, { method: c.method, headers, body, redirect: 'manual' });
    assert.equal(response.status, c.status);
    const unpinned = new Set(UNPINNED);
    const got = {};
    for (const [name, value] of response.headers) if (!unpinned.has(name)) (got[name] ??= []).push(value);
    const expected = Object.fromEntries(Object.entries(c.headers_expected).map(([name, values]) =>
      [name, name === 'set-cookie' ? values : [values.join(', ')]]));
    const normal = (headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.map(absolute)]));
    assert.deepEqual(normal(got), normal(expected), 'headers');
    const bytes = Buffer.from(await response.arrayBuffer());
    if (c.title !== null) assert.match(bytes.toString(), new RegExp(`<title[^>]*>${c.title}</title>`));
    else if ('text_expected' in c) assert.equal(bytes.toString(), absolute(c.text_expected));
    else assert.equal(bytes.toString('base64'), c.body_b64_expected);
  });
}
"""


def project_dependencies(app: App) -> dict[str, str]:
    """The npm packages of the app's project folder, pinned at the versions the emulator ran (file: made absolute).

    Next.js and React are left to the version the app emulates.
    """
    folder = app.packages_dir
    versions = npm.installed(folder)
    pinned = {}
    for name, spec in npm.dependencies(folder).items():
        if name in PACKAGES["15"]:
            continue
        if spec.startswith("file:"):
            pinned[name] = f"file:{(folder / spec[5:]).resolve()}"
        else:
            pinned[name] = versions[name] if versions.get(name, "missing") != "missing" else spec
    return pinned


def export(app: App, directory: str | Path) -> list[Path]:
    """Writes the app as a Next.js project in ``directory``; returns the files written."""
    root = Path(directory)
    written = []

    def write(relative: str, text: str) -> None:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(target)

    version = major(app.next)
    for deployment in app.deployments.values():
        write(deployment.path, with_runtime(deployment))
    package = {"name": "nbruntime-export", "private": True, "version": "0.0.0",
               "scripts": {"build": "next build", "start": "next start",
                           "test": "node --test replay.test.mjs"},
               "dependencies": {**project_dependencies(app), **PACKAGES[version]}, "devDependencies": DEV_PACKAGES}
    write("package.json", json.dumps(package, indent=2) + "\n")
    tsconfig = copy.deepcopy(TSCONFIG)
    if any(path.startswith("src/") for path in app.deployments):  # create-next-app --src-dir's alias
        tsconfig["compilerOptions"]["paths"] = {"@/*": ["./src/*"]}
    write("tsconfig.json", json.dumps(tsconfig, indent=2) + "\n")
    if version == "15":  # no ESLint in this project: without this `next build` warns about it
        write("next.config.js", "module.exports = { eslint: { ignoreDuringBuilds: true } }\n")
    write("replay.json", json.dumps(replay_cases(app), indent=2) + "\n")
    write("replay.test.mjs", REPLAY_TEST % {"unpinned": json.dumps(sorted(UNPINNED_HEADERS))})
    return written
