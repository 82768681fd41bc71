import pytest

import nbruntime


@pytest.fixture
def app():
    with nbruntime.App() as app:
        yield app


@pytest.fixture(scope="session")
def ipython():
    """The one IPython shell of the test session, with the extension loaded."""
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "nbruntime")
    return shell
