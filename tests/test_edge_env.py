"""process.env: the kernel's environment, the notebook folder's .env files as Next loads them, %nbruntime env."""

import json
import shutil
from pathlib import Path

import pytest
from corpus_comparer import compare
from IPython.utils.capture import capture_output

import nbruntime
from nbruntime import app as app_module
from nbruntime.envfiles import parse_env
from nbruntime.magics import NbruntimeMagics

ENV_ROUTE = """export const runtime = '%s'
export function GET() {
  const e = process.env
  return Response.json({ a: e.A, b: e.B, c: e.C, d: e.D, shell: e.FROM_SHELL, set: e.SET_LATER ?? null,
    runtime: e.NEXT_RUNTIME })
}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A notebook folder whose .env files each set A..D, so each key shows which file won."""
    (tmp_path / ".env").write_text("A=env\nB=env\nC=env\nD=env\nFROM_SHELL=env\n")
    (tmp_path / ".env.production").write_text("A=production\nB=production\nC=production\n")
    (tmp_path / ".env.local").write_text("A=local\nB=local\n")
    (tmp_path / ".env.production.local").write_text("A=production-local\n")
    (tmp_path / ".env.development").write_text("A=development\nB=development\nC=development\nD=development\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FROM_SHELL", "shell")
    return tmp_path


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_env_files_load_with_next_precedence_and_the_shell_wins(project, runtime):
    with nbruntime.App() as app:
        app.deploy("app/api/env/route.ts", ENV_ROUTE % runtime)
        assert app.request("GET", "/api/env").json() == {
            "a": "production-local",
            "b": "local",
            "c": "production",
            "d": "env",
            "shell": "shell",
            "set": None,
            "runtime": "edge" if runtime == "edge" else "nodejs",
        }
        assert [p.name for p in app.env_files] == [".env.production.local", ".env.local", ".env.production", ".env"]
        app.set_env(SET_LATER="now", A="overridden")
        assert app.request("GET", "/api/env").json()["set"] == "now"
        app.restart()
        assert app.request("GET", "/api/env").json()["a"] == "overridden"


def test_dotenv_syntax():
    text = (
        "# comment\nexport PLAIN = value  # trailing comment\nEMPTY=\nSINGLE='kept $AS written'\n"
        'DOUBLE="line1\\nline2"\nMULTI="a\nb"\nBACK=`x`\n'
    )
    assert parse_env(text) == {
        "PLAIN": "value",
        "EMPTY": "",
        "SINGLE": "kept $AS written",
        "DOUBLE": "line1\nline2",
        "MULTI": "a\nb",
        "BACK": "x",
    }


RECORDED = Path(__file__).parent / "edge_cases" / "edge-env-files"


def test_env_files_give_what_next_start_gave(tmp_path, monkeypatch):
    """Recorded with NBRT_SHELL=shell NBRT_USER=ada in next start's environment: precedence, expansion."""
    for file in RECORDED.glob(".env*"):
        shutil.copy(file, tmp_path / file.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBRT_SHELL", "shell")
    monkeypatch.setenv("NBRT_USER", "ada")
    monkeypatch.delenv("NBRT_MISSING", raising=False)
    observed = json.loads((RECORDED / "observed.json").read_text())["responses"]
    with nbruntime.App() as app:
        for runtime in ("edge", "node"):
            route = f"app/api/{runtime}/route.ts"
            app.deploy(route, (RECORDED / route).read_text())
        for expected in observed:
            ok, _, why = compare.compare_response(expected, app.request("GET", expected["request"]["path"]))
            assert ok, why


def test_nbruntime_env_magic_sets_process_env(project, monkeypatch):
    app = nbruntime.App()  # the kernel's app, made in this notebook folder
    monkeypatch.setattr(app_module, "_shared_app", app)
    magics = NbruntimeMagics(None)  # the magic's own code; test_magics.py covers loading it into IPython
    try:
        with capture_output() as captured:
            magics.nbruntime("env GREETING='hello world' OTHER=1")
            magics.nbruntime("env")
            magics.nbruntime("env nonsense")
        lines = captured.stdout.splitlines()
        assert lines[0] == "process.env: set GREETING, OTHER"
        assert ".env.production.local, .env.local, .env.production, .env" in lines[1]
        assert lines[2].startswith("usage: %nbruntime env")
        app.deploy("app/api/g/route.ts", "export const GET = () => new Response(process.env.GREETING)", "edge")
        assert app.request("GET", "/api/g").text == "hello world"
    finally:
        app.close()
