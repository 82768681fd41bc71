"""The server half of the JupyterLab extension: ``POST /nbruntime/check`` on a real Jupyter server, over HTTP.

The server is started with no extension options, so these tests also prove that installing the package
enables the endpoint (through the ``jupyter_server_config.d`` file the wheel installs).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import nbruntime
from nbruntime.server import diagnostics

EDGE = "%%edge app/api/files/route.ts\n"
BODY = """import fs from 'fs'
export async function GET(): Promise<Response> {
  return new Response(process.cwd())
}
"""


class Server:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def post(self, payload: bytes, token: str | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"token {token}"
        request = urllib.request.Request(self.url + "/nbruntime/check", data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, {}

    def check(self, source: str) -> dict:
        status, answer = self.post(json.dumps({"source": source}).encode(), self.token)
        assert status == 200
        return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    log = open(root / "server.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--IdentityProvider.token={token}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", f"--ServerApp.root_dir={root}", "--allow-root"],
        stdout=log, stderr=subprocess.STDOUT, cwd=root, env=dict(os.environ), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            status = urllib.request.Request(url + "/api/status", headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(status, timeout=1).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError("jupyter server did not start:\n" + log.read()) from None
            time.sleep(0.2)
    try:
        yield Server(url, token)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_an_fs_import_is_reported_in_the_deploys_words_at_the_import(server):
    answer = server.check(EDGE + BODY)
    expected = nbruntime.check(BODY, runtime="edge", path="app/api/files/route.ts")
    assert answer["runtime"] == "edge" and answer["path"] == "app/api/files/route.ts"
    assert answer["incomplete"] is False
    assert [p["text"] for p in answer["problems"]] == [str(p) for p in expected]
    for sent, problem in zip(answer["problems"], expected, strict=True):
        assert (sent["api"], sent["rule"], sent["severity"], sent["phase"], sent["message"], sent["hint"]) == (
            problem.api, problem.name, problem.severity, problem.phase, problem.message, problem.hint)
    fs, cwd = answer["problems"]
    assert (fs["api"], fs["severity"], fs["phase"]) == ("fs", "error", "build")  # next build rejects it
    assert "Can't resolve 'fs'" in fs["message"] and fs["hint"]
    cell = EDGE + BODY
    assert cell[fs["from"]:fs["to"]] == "'fs'"  # offsets are into the whole cell, magic line included
    assert cell[cwd["from"]:cwd["to"]] == "process.cwd"
    assert fs["line"] == 1  # lines are the file's: the cell without its %% line, as the deploy counts them


def test_removing_the_import_or_switching_to_node_clears_it(server):
    without = BODY.replace("import fs from 'fs'\n", "")
    assert [p["api"] for p in server.check(EDGE + without)["problems"]] == ["process.cwd"]
    node = server.check("%%node app/api/files/route.ts\n" + BODY)
    assert node["runtime"] == "nodejs" and node["problems"] == []


def test_code_still_being_typed_is_marked_incomplete_and_not_reported(server):
    answer = server.check(EDGE + "import fs from 'fs'\nexport async function GET( {\n")
    assert answer["incomplete"] is True and answer["problems"] == []


def test_cells_without_a_deploy_magic_get_nothing(server):
    for cell in ("import os\nos.getcwd()", "%%edgy x.ts\nimport fs from 'fs'", "%%html\n<b>fs</b>"):
        assert server.check(cell) == {"runtime": None, "path": None, "incomplete": False, "problems": []}


def test_requests_need_the_token_and_a_source(server):
    good = json.dumps({"source": EDGE + BODY}).encode()
    assert server.post(good)[0] == 403
    assert server.post(good, token="wrong")[0] == 403
    assert server.post(b"not json", server.token)[0] == 400
    assert server.post(json.dumps({"text": "x"}).encode(), server.token)[0] == 400


def test_offsets_count_utf16_units_as_the_browser_does():
    cell = "%%edge app/api/x/route.ts\nconst s = '🙂é'; eval(s)\n"
    (problem,) = diagnostics(cell)["problems"]
    utf16 = cell.encode("utf-16-le")
    assert utf16[2 * problem["from"]:2 * problem["to"]].decode("utf-16-le") == "eval"


def test_the_file_is_read_from_the_magic_line_as_the_magic_reads_it():
    assert diagnostics("%%edge --ui app/api/x/route.ts\n")["path"] == "app/api/x/route.ts"
    assert diagnostics("%%node app/api/y/route.ts --ui\n")["path"] == "app/api/y/route.ts"
    assert diagnostics("%%edge\nimport fs from 'fs'")["path"] == "cell.ts"  # the path is not typed yet


def test_revalidate_on_an_edge_route_is_flagged_in_next_builds_words(server):
    # next build prints this warning for edge routes (recorded in tests/conformance/cache-edge-and-rewrite).
    body = "export const revalidate = 60\nexport async function GET() { return new Response('x') }\n"
    cell = "%%edge app/api/prices/route.ts\n" + body
    (problem,) = server.check(cell)["problems"]
    assert problem["message"] == "Using edge runtime on a page currently disables static generation for that page"
    assert (problem["severity"], problem["phase"], cell[problem["from"]:problem["to"]]) == ("warning", "build", "60")
    assert server.check("%%node app/api/prices/route.ts\n" + body)["problems"] == []


def test_a_package_that_is_not_installed_is_reported_with_the_install_line(server):
    """The server's root has no node_modules: the editor says what to run, where the deploy would fail."""
    answer = server.check("%%edge middleware.ts\nimport { jwtVerify } from 'jose'\nexport const middleware = jwtVerify")
    (problem,) = answer["problems"]
    assert (problem["rule"], problem["api"], problem["severity"]) == ("ModuleNotFound", "jose", "error")
    assert problem["hint"].startswith("%npm install jose")


def test_a_node_module_inside_a_package_is_shown_on_the_import_of_that_package(tmp_path):
    """Recorded (corpus packages/07 and 08): warning from middleware, build error from an edge route; the place
    inside the package is in the text, the squiggle on the cell's import."""
    package = tmp_path / "node_modules" / "edge-fs-pkg"
    package.mkdir(parents=True)
    source = Path(__file__).parent / "corpus" / "packages" / "local-packages" / "edge-fs-pkg"
    for name in ("package.json", "index.js"):
        (package / name).write_text((source / name).read_text())
    body = "import { greet } from 'edge-fs-pkg'\nexport const middleware = () => new Response(greet('m'))\n"
    (problem,) = diagnostics("%%edge middleware.ts\n" + body, tmp_path)["problems"]
    assert (problem["rule"], problem["severity"], problem["line"]) == ("node-module-loaded", "warning", 2)
    assert "node_modules/edge-fs-pkg/index.js:2:1" in problem["text"]
    cell = "%%edge middleware.ts\n" + body
    assert cell[problem["from"]:problem["to"]] == "'edge-fs-pkg'"
    route = "%%edge app/api/g/route.ts\nexport const runtime = 'edge'\n" + body.replace("middleware", "GET")
    (problem,) = diagnostics(route, tmp_path)["problems"]
    assert (problem["rule"], problem["severity"]) == ("node-module", "error")


def test_a_compare_cell_gets_the_problems_of_both_runtimes(server):
    cell = "%%compare app/api/files/route.ts -r 'GET /api/files'\n" + BODY
    answer = server.check(cell)
    expected = [*nbruntime.check(BODY, runtime="edge", path="app/api/files/route.ts"),
                *nbruntime.check(BODY, runtime="nodejs", path="app/api/files/route.ts")]
    assert answer["runtime"] == "edge+nodejs" and answer["path"] == "app/api/files/route.ts"
    assert [(p["text"], p["runtime"]) for p in answer["problems"]] == [(str(p), p.runtime) for p in expected]
    assert {p["runtime"] for p in answer["problems"]} == {"edge"}  # Node.js has fs and process.cwd
    declared = server.check("%%compare app/api/x/route.ts\nexport const runtime = 'edge'\nexport const GET = () => "
                            "new Response('x')\n")
    assert [p["runtime"] for p in declared["problems"]] == ["nodejs"]  # edge declared, deployed to node too
