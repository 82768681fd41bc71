"""What can go wrong, as values the user can read: build problems, bad requests, handler failures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HOST_FRAME = re.compile(r"^\s*at (?:.*\()?(?:node:|evalmachine\.<anonymous>)|^\s*at .*nbruntime/js/")


def user_stack(stack: str) -> str:
    """The error's stack (or console text with stacks in it) without the host's own frames: its modules, Node's, and
    the scripts it runs in edge realms."""
    return "\n".join(line for line in stack.splitlines() if not _HOST_FRAME.search(line))


def code_frame(source: str, line: int | None, column: int | None = None, context: int = 2) -> str:
    """The lines around ``line`` with a caret under ``column``, like a compiler prints them."""
    if not line:
        return ""
    lines = source.splitlines()
    first, last = max(1, line - context), min(len(lines), line + context)
    width = len(str(last))
    out = []
    for number in range(first, last + 1):
        marker = ">" if number == line else " "
        out.append(f"{marker} {number:>{width}} | {lines[number - 1]}")
        if number == line and column:
            out.append(f"  {' ' * width} | {' ' * (column - 1)}^")
    return "\n".join(out)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a cell, at a place in it."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    name: str = "BuildError"
    frame: str = ""
    # Set for API-compatibility problems (nbruntime.compat): which API, how bad, when it fails, what to use.
    api: str | None = None
    severity: str = "error"  # "error" (not deployed) | "warning"
    phase: str = "build"  # "build": next build rejects it | "run": it fails only when that line runs
    hint: str = ""
    runtime: str = "edge"
    dev: str = ""  # how `next dev` differs from `next build` / `next start` here, if it does
    chain: tuple[str, ...] = ()  # for a file inside an npm package: the imports from the cell down to it

    def __str__(self) -> str:
        where = self.file + (f":{self.line}:{self.column or 1}" if self.line else "")
        trace = f" (import trace: {' → '.join(self.chain)})" if self.chain else ""
        if self.api is None:
            hint = f"; {self.hint}" if self.hint else ""
            return f"{where}: {self.name}: {self.message}{hint}{trace}"
        when = {("error", "build"): "fails at build", ("warning", "build"): "build warning"}.get(
            (self.severity, self.phase), "fails when this line runs")
        message = self.message.rstrip(".")
        return f"{where}: {self.severity} ({self.runtime}, {when}): {message}; use instead: {self.hint}{trace}"


class NbruntimeError(Exception):
    """Base class of the errors nbruntime raises."""


class BuildError(NbruntimeError):
    """The cell was rejected, as ``next build`` would reject it; nothing was deployed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(f"{p}\n{p.frame}" if p.frame else str(p) for p in problems))

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for it in a cell: the deploy's report, not a stack of nbruntime's own frames."""
        from .display import build_title, problems_text

        return problems_text(self.problems, f"BuildError: {build_title(self)}", ansi=True).splitlines()


class RequestError(NbruntimeError, ValueError):
    """A request that cannot be sent as given; ``field`` names the part that is wrong."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class HostError(NbruntimeError):
    """The Node.js host could not be started or talked to."""


@dataclass(frozen=True)
class HandlerError:
    """Why a request did not complete normally: an exception, a time limit, or a crashed host."""

    kind: str  # "exception" | "timeout" | "crash"
    name: str
    message: str
    stack: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    frame: str = ""
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        where = f" at {self.file}:{self.line}:{self.column}" if self.file and self.line else ""
        return f"{self.name}: {self.message}{where}"
