"""nbruntime: run Next.js middleware and route handlers in a notebook, under an emulated runtime."""

from .app import App, Deployment, get_app
from .comparison import Comparison, compare
from .errors import BuildError, HandlerError, HostError, NbruntimeError, Problem, RequestError
from .http import Chunk, Headers, LogLine, Response, ServerLine
from .npm import NpmError
from .packages import check

__all__ = [
    "App",
    "BuildError",
    "Chunk",
    "Comparison",
    "Deployment",
    "HandlerError",
    "Headers",
    "HostError",
    "LogLine",
    "NbruntimeError",
    "NpmError",
    "Problem",
    "RequestError",
    "Response",
    "ServerLine",
    "check",
    "compare",
    "get_app",
    "load_ipython_extension",
]


def load_ipython_extension(ipython):  # pragma: no cover - exercised through IPython
    from .magics import load_ipython_extension as load

    load(ipython)
