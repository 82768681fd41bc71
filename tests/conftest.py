import os
import subprocess
import sys
from pathlib import Path

import pytest

import nbruntime

ROOT = Path(__file__).parents[1]


@pytest.fixture
def app():
    with nbruntime.App() as app:
        yield app


@pytest.fixture
def start_kernel(tmp_path):
    """Starts a fresh IPython kernel whose temporary files (an App's project folder) go in the test's own folder:
    the tests end it with a kill, which leaves it no time to remove them."""
    from jupyter_client.manager import start_new_kernel

    return lambda: start_new_kernel(kernel_name="python3", env={**os.environ, "TMPDIR": str(tmp_path)})


@pytest.fixture(scope="session")
def ipython():
    """The one IPython shell of the test session, with the extension loaded."""
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "nbruntime")
    return shell


@pytest.fixture(scope="session")
def run_cell(ipython):
    """Runs a cell in the shell; returns what it printed and displayed, as text. The cell must not raise."""
    from IPython.utils.capture import capture_output

    def run(cell: str) -> str:
        with capture_output() as captured:
            result = ipython.run_cell(cell)
        assert result.error_in_exec is None, result.error_in_exec
        return captured.stdout + "\n".join(o.data.get("text/plain", "") for o in captured.outputs)

    return run


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory) -> Path:
    """nbruntime's wheel, built once from this checkout as ``pip`` builds it."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(ROOT)],
                   check=True, timeout=600)
    (wheel,) = folder.glob("nbruntime-*.whl")
    return wheel
