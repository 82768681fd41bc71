"""A real JupyterLab server and a real Chromium (Debian's, driven by Playwright) for browser tests.

One server and one browser serve the whole session; each test gets a fresh page and its own notebook
file. Screenshots go to ``test-output/`` at the repository root.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-output"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """The running JupyterLab: where its files are and how to open one in a page."""

    def __init__(self, root: Path, url: str):
        self.root, self.url = root, url

    def write_notebook(self, name: str, cells: list[str]) -> str:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, self.root / name)
        return name

    def open(self, page, name: str, kernel: bool = True) -> None:
        """Opens a notebook and waits until it is shown (and, if asked, its kernel is idle)."""
        page.goto(f"{self.url}/lab/tree/{name}?reset")  # ?reset: no tabs left open by earlier tests
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        if kernel:
            page.wait_for_function(
                "window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
                timeout=60_000)

    def open_in(self, page, name: str, frontend: str) -> None:
        """Opens a notebook in JupyterLab (``lab``) or Notebook 7 (``notebook``) and waits for an idle kernel."""
        if frontend == "lab":
            self.open(page, name)
            return
        page.goto(f"{self.url}/notebooks/{name}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(
            "window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
            timeout=60_000)

    @staticmethod
    def run_all(page) -> None:
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    @staticmethod
    def shutdown_kernels(page) -> None:
        """Ends every kernel the server runs (their apps, hosts and ports with them), as the Kernel menu does."""
        page.evaluate("window.jupyterapp.serviceManager.kernels.shutdownAll()")


def this_checkout(state: Path) -> dict[str, str]:
    """Environment that makes the server and its kernels use this checkout, whatever copy is installed.

    The Python package comes first on ``PYTHONPATH``; the built extension is found first through
    ``JUPYTER_PATH``, which JupyterLab searches before the installed copy. Where the checkout is what is
    installed (CI), both point at the same files.
    """
    data = state / "jupyter"
    (data / "labextensions").mkdir(parents=True)
    (data / "labextensions" / "nbruntime").symlink_to(ROOT / "nbruntime" / "labextension")
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    jupyter = [str(data), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    return {"PYTHONPATH": os.pathsep.join(paths), "JUPYTER_PATH": os.pathsep.join(jupyter)}


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    root = Path(tempfile.mkdtemp(prefix="nbruntime-lab-"))
    state = Path(tempfile.mkdtemp(prefix="nbruntime-labstate-"))
    settings = state / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false",
                                                                           "checkForUpdates": False}))
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"), **this_checkout(state))
    port = _free_port()
    log = open(state / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--IdentityProvider.token=",
         "--ServerApp.password=", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         "--JupyterNotebookApp.expose_app_in_browser=True", "--allow-root",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, cwd=root, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/api/status", timeout=1).read()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not start:\n" + (state / "server.log").read_text()) from None
            time.sleep(0.2)
    try:
        yield Lab(root, url)
    finally:
        children = psutil.Process(server.pid).children(recursive=True)
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        _, alive = psutil.wait_procs(children, timeout=10)
        for child in alive:
            child.kill()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API holds an event loop on this thread until it stops."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page; a screenshot named after the test is saved when it ends."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(f"{message.type}: {message.text}"))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
