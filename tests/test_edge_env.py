"""process.env: the kernel's environment, the notebook folder's .env files as Next loads them, %nbruntime env."""

import pytest
from IPython.utils.capture import capture_output

import nbruntime
from nbruntime import app as app_module
from nbruntime.envfiles import parse_env, project_env
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
        "# comment\nexport PLAIN = value  # trailing comment\nEMPTY=\nSINGLE='no $EXPANSION here'\n"
        'DOUBLE="line1\\nline2"\nMULTI="a\nb"\nBACK=`x`\n'
    )
    assert parse_env(text) == {
        "PLAIN": ("value", True),
        "EMPTY": ("", True),
        "SINGLE": ("no $EXPANSION here", False),
        "DOUBLE": ("line1\nline2", True),
        "MULTI": ("a\nb", True),
        "BACK": ("x", True),
    }


def test_references_expand_from_files_and_the_environment(tmp_path):
    (tmp_path / ".env").write_text(
        "HOST=example.test\nURL=https://${HOST}/$USER_NAME\nPRICE=\\$5\nFALLBACK=${MISSING:-dflt}\nRAW='$HOST'\n"
    )
    env, used = project_env({"USER_NAME": "ada"}, tmp_path)
    assert used == [tmp_path / ".env"]
    assert (env["URL"], env["PRICE"], env["FALLBACK"], env["RAW"]) == (
        "https://example.test/ada",
        "$5",
        "dflt",
        "$HOST",
    )
    assert env["NEXT_RUNTIME"] == "nodejs"


def test_nbruntime_env_magic_sets_process_env(project):
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
        app = nbruntime.get_app()
        app.deploy("app/api/g/route.ts", "export const GET = () => new Response(process.env.GREETING)", "edge")
        assert app.request("GET", "/api/g").text == "hello world"
    finally:
        nbruntime.get_app().close()
        app_module._shared_app = None
