"""The README's two commands, as a newcomer runs them: from a fresh clone, into a fresh virtual environment.

The second command (the whole suite) is what ``.ci/run`` runs in a fresh clone of each commit; here the
first one runs for real, and a built wheel is installed and used with no package registry reachable.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
#: Nothing listens there: a registry at this address cannot be reached.
UNREACHABLE = "http://127.0.0.1:9"


def readme_commands() -> list[str]:
    """The README's shell commands in order: the first installs and opens the notebooks, the second tests."""
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text(), re.S)[:2]


def test_the_readme_and_ci_run_the_same_test_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert readme_commands()[1] == ci


def test_the_first_command_opens_the_notebooks_as_root_too():
    install, _ = readme_commands()
    assert re.fullmatch(r"pip install \. && jupyter lab --allow-root notebooks/", install)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _venv(folder: Path, *options: str) -> dict[str, str]:
    """A new virtual environment; the environment variables of a shell that activated it."""
    subprocess.run([sys.executable, "-m", "venv", *options, str(folder)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_PATH", "PYTHONHOME")}
    return {**env, "VIRTUAL_ENV": str(folder), "PATH": f"{folder / 'bin'}{os.pathsep}{env['PATH']}"}


@pytest.mark.slow
def test_a_fresh_clone_installs_and_opens_the_notebooks_with_the_readmes_first_command(tmp_path):
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(ROOT), str(tmp_path / "nbruntime")], check=True,
                   timeout=120)
    clone = tmp_path / "nbruntime"
    env = _venv(tmp_path / "venv")  # a fresh one: everything comes from the first command
    # The command as written; where the server listens (and no browser to open) comes from the config dir.
    port = _free_port()
    config = tmp_path / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"port": port, "port_retries": 0, "open_browser": False, "ip": "127.0.0.1"},
        "IdentityProvider": {"token": ""}}))
    env.update(JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = open(tmp_path / "first-command.log", "w")
    first = subprocess.Popen(["bash", "-c", readme_commands()[0]], cwd=clone, env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 900  # pip installs everything first
        while True:
            try:
                listing = json.loads(urllib.request.urlopen(f"{base}/api/contents/", timeout=5).read())
                break
            except OSError:
                assert first.poll() is None, (tmp_path / "first-command.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(1)
        assert sorted(item["name"] for item in listing["content"]) == NOTEBOOKS  # it opens the notebooks
        page = urllib.request.urlopen(f"{base}/lab", timeout=30).read().decode()
        extensions = json.loads(re.search(r'id="jupyter-config-data"[^>]*>\s*(\{.*?\})\s*</script>', page,
                                          re.S).group(1))["federated_extensions"]
        assert "nbruntime" in [e["name"] for e in extensions]  # the editor extension came with pip install .
        installed = subprocess.run(
            ["python", "-c", "import importlib.metadata as m, nbruntime; print(nbruntime.__file__); "
                             "print(sorted(r.split('>')[0] for r in m.requires('nbruntime') if 'extra' not in r))"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
        assert installed[0].startswith(str(tmp_path / "venv"))
        assert "hypothesis" in installed[1]  # notebook 05's, installed by the first command alone
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        try:
            first.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        log.close()


FIRST_CELL = """
import nbruntime
from IPython.testing.globalipapp import start_ipython
shell = start_ipython()
shell.run_line_magic("load_ext", "nbruntime")
shell.run_cell_magic("edge", "app/api/stream/route.ts", {source!r})
response = nbruntime.get_app().request("GET", "/api/stream")
print(nbruntime.__file__)
print(response.status, response.text.split())
nbruntime.get_app().close()
"""


@pytest.mark.slow
def test_a_built_wheel_installs_and_runs_a_first_cell_with_no_registry_reachable(built_wheel, tmp_path):
    from examples import TICKS

    # The wheel's dependencies are those already installed; nothing may come from PyPI or npm.
    env = _venv(tmp_path / "venv", "--system-site-packages")
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=UNREACHABLE, PIP_EXTRA_INDEX_URL=UNREACHABLE,
               npm_config_registry=UNREACHABLE, NPM_CONFIG_REGISTRY=UNREACHABLE, YARN_NPM_REGISTRY_SERVER=UNREACHABLE)
    # --ignore-installed: the venv sees a copy of nbruntime in the system's site-packages when the test
    # command installed it there (not editable), and pip would count that copy as this wheel.
    subprocess.run(["python", "-m", "pip", "install", "--no-index", "--no-deps", "--ignore-installed", "-q",
                    str(built_wheel)], env=env, check=True, timeout=300, cwd=tmp_path)
    subprocess.run(["python", "-m", "pip", "check"], env=env, check=True, timeout=120, cwd=tmp_path)
    ran = subprocess.run(["python", "-c", FIRST_CELL.format(source=TICKS)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    where, answer = ran.stdout.splitlines()[-2:]
    assert where.startswith(str(tmp_path / "venv"))  # the wheel's copy, not this checkout
    assert answer == "200 ['tick', '1', 'tick', '2', 'tick', '3']"
