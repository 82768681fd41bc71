"""npm packages in cells: which ones a bundle imports, and ``next build``'s verdicts on them.

The Node host bundles the packages (``js/packages.mjs``, esbuild with Next's conditions) and reports what it
found: files, the import graph, the Node built-ins package code imports and where, what did not resolve.
The verdicts are made here, with the rule table the cells' own analysis uses: a package that is not
installed, a Node built-in reached through a package (a warning in middleware, a failed build in an edge
route, a ``node:`` URI always fails), the Node.js APIs package code uses on edge; each with its file and line
inside the package and the chain of imports from the cell.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .compat.analyze import check as check_cell
from .compat.analyze import graph, local_target, module_imports, node_module_rule, package_api_problems
from .compat.rules import rules, table
from .errors import Problem, code_frame
from .host import node_executable

_BUILTINS = frozenset(table()["node_builtins"])
#: Bare imports Next itself answers (its bundler aliases `server-only` to an empty module for server code).
FRAMEWORK_MODULES = frozenset({"next", "server-only"})
_UNRESOLVED = re.compile(r'Could not resolve "([^"]+)"')
_BUNDLER = Path(__file__).parent / "js" / "packages.mjs"


def is_package(specifier: str) -> bool:
    """A bare import of an npm package: not a file of the app, a Node built-in, or a module of Next itself."""
    if specifier.startswith((".", "/", "@/", "node:", "nbruntime/")) or specifier in FRAMEWORK_MODULES:
        return False
    return not specifier.startswith("next/") and specifier.split("/")[0] not in _BUILTINS


def package_name(specifier: str) -> str:
    """``jose`` for ``jose/jwt/verify``, ``@scope/x`` for ``@scope/x/y``."""
    parts = specifier.split("/")
    return "/".join(parts[:2] if specifier.startswith("@") else parts[:1])


@dataclass(frozen=True)
class PackageImport:
    """A cell's import of a package, where it is written."""

    specifier: str
    file: str
    line: int
    column: int


def package_imports(path: str, sources: Mapping[str, str]) -> list[PackageImport]:
    """The package imports of a cell and of every deployed cell it imports (one bundle's worth)."""
    found = []
    for file in graph(path, sources):
        for specifier, line, column in module_imports(sources[file], file):
            if local_target(specifier, file) is None and is_package(specifier):
                found.append(PackageImport(specifier, file, line, column))
    return found


def installed(specifier: str, folder: Path) -> bool:
    """Whether a package is installed for ``folder`` (its node_modules or a parent's, as Node looks)."""
    name = package_name(specifier)
    return any((parent / "node_modules" / name / "package.json").is_file() for parent in (folder, *folder.parents))


def not_installed(
    imports: list[PackageImport], sources: Mapping[str, str], folder: Path, runtime: str = "edge"
) -> list[Problem]:
    """A ``Module not found`` problem for each import of a package that is not installed, with the install line."""
    return [_missing(item, sources, runtime) for item in imports if not installed(item.specifier, folder)]


def _missing(item: PackageImport, sources: Mapping[str, str], runtime: str) -> Problem:
    problem = rules()["package-not-installed"].problem(
        item.specifier, item.file, sources[item.file], item.line, item.column, runtime
    )
    name = package_name(item.specifier)
    return dataclasses.replace(problem, hint=problem.hint.replace("{package}", name), name="ModuleNotFound")


def verdicts(
    facts: dict,
    imports: list[PackageImport],
    sources: Mapping[str, str],
    runtime: str,
    middleware: bool,
    root: Path,
) -> list[Problem]:
    """What next build says of the packages a bundle imports (``facts`` from the host's bundler)."""
    problems = [_missing(item, sources, runtime) for item in imports if item.specifier in facts.get("missing", [])]
    chains = _Chains(facts, imports)
    for error in facts.get("errors", []):
        problems.append(_build_error(error, root, chains))
    if runtime != "edge":
        return problems
    for item in facts.get("builtins", []):
        rule = node_module_rule(item["specifier"], middleware)
        if rule and not item["file"].startswith("nbruntime-"):
            problems.append(_at(rules()[rule].problem(item["specifier"], *_place(item, root)), chains))
    for file in facts.get("graph", {}):
        if not file.startswith("nbruntime-") and file.endswith((".js", ".mjs", ".cjs")):
            problems += [_at(problem, chains) for problem in _package_file_problems(root, file)]
    return problems


def _place(item: dict, root: Path) -> tuple[str, str, int, int]:
    return item["file"], _text(root, item["file"]), item.get("line") or 1, item.get("column") or 1


def _build_error(error: dict, root: Path, chains: _Chains) -> Problem:
    """An error esbuild met inside package code, worded as webpack words it where they say the same."""
    text = error["text"]
    unresolved = _UNRESOLVED.search(text)
    message = f"Module not found: Can't resolve '{unresolved.group(1)}'" if unresolved else text
    file, line, column = error.get("file") or "node_modules", error.get("line"), error.get("column")
    frame = code_frame(_text(root, file), line, column) if line else ""
    hint = f"%npm install {package_name(unresolved.group(1))}" if unresolved and is_package(unresolved.group(1)) else ""
    return _at(Problem(file, message, line, column, name="ModuleNotFound" if unresolved else "BuildError",
                       frame=frame, hint=hint), chains)


def _at(problem: Problem, chains: _Chains) -> Problem:
    return dataclasses.replace(problem, chain=chains.to(problem.file))


@lru_cache(maxsize=4096)
def _read(path: Path, stamp: tuple[int, int]) -> str:
    return path.read_text(errors="replace")


def _text(root: Path, file: str) -> str:
    path = root / file
    try:
        stat = path.stat()
    except OSError:
        return ""
    return _read(path, (stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=4096)
def _api_problems(path: Path, file: str, stamp: tuple[int, int]) -> tuple[Problem, ...]:
    return tuple(package_api_problems(_read(path, stamp), file))


def _package_file_problems(root: Path, file: str) -> tuple[Problem, ...]:
    """The Node.js API warnings of one package file (cached while the file is unchanged)."""
    path = root / file
    try:
        stat = path.stat()
    except OSError:
        return ()
    return _api_problems(path, file, (stat.st_mtime_ns, stat.st_size))


class _Chains:
    """The import chain from a cell to a package file: cell, the package's entry, ..., the file."""

    def __init__(self, facts: dict, imports: list[PackageImport]):
        self.graph: dict[str, list[str]] = facts.get("graph", {})
        self.starts = [(item.file, facts.get("roots", {}).get(item.specifier)) for item in imports]

    def to(self, target: str) -> tuple[str, ...]:
        for cell, root in self.starts:
            if root is None:
                continue
            if root == target:
                return (cell, target)
            paths = {root: (cell, root)}
            pending = [root]
            while pending:
                current = pending.pop(0)
                for nxt in self.graph.get(current, []):
                    if nxt not in paths:
                        paths[nxt] = (*paths[current], nxt)
                        if nxt == target:
                            return paths[nxt]
                        pending.append(nxt)
        return ()


def check(
    source: str, runtime: str = "edge", path: str = "cell.ts", project: str | Path | None = None
) -> list[Problem]:
    """``nbruntime.compat.check``, and with ``project`` (the folder whose node_modules the cell imports from)
    the verdicts on the cell's npm packages too: not installed, or what next build says of their code."""
    problems = check_cell(source, runtime, path)
    if project is None:
        return problems
    root, sources = Path(project), {path: source}
    imports = package_imports(path, sources)
    missing = not_installed(imports, sources, root, runtime)
    if missing or not imports:
        return problems + missing
    facts = bundle_facts(root, tuple(sorted({item.specifier for item in imports})), runtime)
    middleware = path.rsplit("/", 1)[-1].split(".")[0] in ("middleware", "proxy")
    return problems + verdicts(facts, imports, sources, runtime, middleware, root)


def bundle_facts(root: Path, specifiers: tuple[str, ...], runtime: str) -> dict:
    """What bundling the packages finds, without a host: the bundler run once by Node (its caches shared)."""
    stamp = [(p.stat().st_mtime_ns if p.exists() else 0) for p in (root / "node_modules" / ".package-lock.json",)]
    return _bundle_facts(root.resolve(), specifiers, runtime, tuple(stamp))


@lru_cache(maxsize=64)
def _bundle_facts(root: Path, specifiers: tuple[str, ...], runtime: str, stamp: tuple[int, ...]) -> dict:
    done = subprocess.run([node_executable(), str(_BUNDLER), str(root), runtime, *specifiers], capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0:
        return {"errors": [{"text": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "bundler failed"}]}
    return json.loads(done.stdout)
