"""Notebooks run top to bottom by a real kernel, and the host never outlives its kernel."""

import time
from pathlib import Path

import nbformat
import psutil
import pytest
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   allow_errors=False).execute()
    return notebook


def outputs_text(cell) -> str:
    return "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path):
    execute(path)


def test_tour_shows_streamed_ticks_and_the_error_line():
    notebook = execute(Path(__file__).parents[1] / "notebooks" / "01-tour.ipynb")
    texts = [outputs_text(cell) for cell in notebook.cells if cell.cell_type == "code"]
    request = next(t for t in texts if "200 GET http://localhost:3000/api/stream" in t)
    assert [line.split("] ")[1] for line in request.splitlines() if "] tick" in line] == ["tick 1", "tick 2", "tick 3"]
    assert any("(500, 'SyntaxError', 2)" in t for t in texts)


def test_host_goes_away_with_its_kernel():
    outputs = []
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        reply = client.execute_interactive(
            "import nbruntime\napp = nbruntime.get_app()\n"
            "app.deploy('app/api/spin/route.ts', 'export function GET() { while (true) {} }')\n"
            "print(app.request('GET', '/api/spin', timeout=0.5).error.kind, app.host_pid)",
            timeout=60, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok"
    finally:
        manager.shutdown_kernel(now=True)
        client.stop_channels()
    kind, pid = next(m["content"]["text"] for m in outputs if m["msg_type"] == "stream").split()
    assert kind == "timeout"
    deadline = time.monotonic() + 10
    while running(int(pid)):
        assert time.monotonic() < deadline, "the Node.js host outlived its kernel"
        time.sleep(0.1)


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
