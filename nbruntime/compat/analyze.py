"""Static API-compatibility analysis of a cell, on tree-sitter's TypeScript syntax tree.

Names are resolved per file, not per scope: a name declared anywhere in the cell (an import, a variable,
a parameter) is taken to be the cell's own, so ``import { Buffer } from 'buffer'`` silences the Buffer rule.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from functools import lru_cache

from tree_sitter import Node

from ..errors import Problem
from ..routes import file_kind, route_for
from ..segment import _property, declared_runtime, exported_consts, parse, segment_config
from ..syntax import Nodes, nodes
from ..typestrip import blank
from .rules import rules, table

_UNWRAP = {"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression"}
_BINDING_PARENTS = {
    "variable_declarator": "name",
    "function_declaration": "name",
    "generator_function_declaration": "name",
    "class_declaration": "name",
    "function_expression": "name",
    "function": "name",
    "class": "name",
    "required_parameter": "pattern",
    "optional_parameter": "pattern",
    "arrow_function": "parameter",
    "catch_clause": "parameter",
    "assignment_pattern": "left",
}
_BINDING_LISTS = {"import_clause", "namespace_import", "array_pattern", "rest_pattern", "pair_pattern"}
_LAZY_VALUES = {"arrow_function", "function_expression", "function", "class"}

# What every object has from Object.prototype, Next's process polyfill too (process.constructor is Object).
_OBJECT_MEMBERS = frozenset({
    "constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "toString",
    "valueOf", "__proto__", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
})


def _unwrap(node: Node) -> Node:
    while node.type in _UNWRAP and node.named_child_count:
        node = node.named_children[0]
    return node


def _text(node: Node | None) -> str:
    return node.text.decode() if node is not None else ""


def _string_value(node: Node | None) -> str | None:
    if node is not None and node.type == "string":
        return _text(node)[1:-1]
    return None


def _is_binding(node: Node) -> bool:
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "import_specifier":
        return node == (parent.child_by_field_name("alias") or parent.child_by_field_name("name"))
    if parent.type in _BINDING_LISTS:
        return True
    field = _BINDING_PARENTS.get(parent.type)
    return field is not None and parent.child_by_field_name(field) == node


@lru_cache(maxsize=64)
def declared_names(found: Nodes) -> frozenset[str]:
    """Every name the cell declares somewhere (imports, variables, functions, classes, parameters).

    Cached per tree: the analyzer and the bundling step both ask, and ``nodes`` hands out one index per cell.
    """
    return frozenset([*map(_text, found.patterns), *(_text(n) for n in found.identifiers if _is_binding(n))])


def _live_statements(found: Nodes) -> set[int]:
    """Top-level statements (their indexes) that run or that an export reaches (what a tree-shaking bundler keeps)."""
    lazy: dict[str, int] = {}
    roots = []
    for index, statement in enumerate(found.root.named_children):
        names = _lazy_declaration_names(statement)
        if names:
            for name in names:
                lazy[name] = index
        else:
            roots.append(index)
    names_in: dict[int, set[str]] = {}  # each statement's identifiers (what it may reach)
    for node in (*found.identifiers, *found.shorthands):
        names_in.setdefault(found.statement_of(node), set()).add(_text(node))
    live = set(roots)
    pending = list(roots)
    while pending:
        for name in names_in.get(pending.pop(), ()):
            target = lazy.get(name)
            if target is not None and target not in live:
                live.add(target)
                pending.append(target)
    return live


def _lazy_declaration_names(statement: Node) -> list[str]:
    """The names a statement only declares (functions, classes, const f = () => ...); [] if it runs code."""
    if statement.type in ("function_declaration", "generator_function_declaration", "class_declaration"):
        return [_text(statement.child_by_field_name("name"))]
    if statement.type in ("lexical_declaration", "variable_declaration"):
        declarators = [c for c in statement.named_children if c.type == "variable_declarator"]
        values = [d.child_by_field_name("value") for d in declarators]
        if declarators and all(v is not None and v.type in _LAZY_VALUES for v in values):
            return [_text(d.child_by_field_name("name")) for d in declarators]
    return []


class _Finder:
    """Walks one cell and collects the problems of the edge rules."""

    def __init__(self, source: str, path: str, found: Nodes, rejects_dynamic_code: bool, middleware: bool = False):
        self.source, self.path, self.found = source, path, found
        self.rejects_dynamic_code = rejects_dynamic_code
        self.middleware = middleware  # bundled into middleware: a Node module loads, and throws when used
        self.own = declared_names(found)
        self.live = _live_statements(found)
        self.facts = table()
        self.problems: list[Problem] = []

    def add(self, rule: str, api: str, node: Node) -> None:
        line, column = node.start_point.row + 1, node.start_point.column + 1
        self.problems.append(rules()[rule].problem(api, self.path, self.source, line, column))

    def free(self, node: Node, name: str) -> bool:
        return node.type == "identifier" and _text(node) == name and name not in self.own

    def run(self) -> list[Problem]:
        found = self.found
        visited = [*found.modules, *found.calls, *found.members, *found.identifiers]
        for node in sorted(found.runs(visited), key=lambda node: (node.start_byte, -node.end_byte)):
            self.visit(node, found.statement_of(node) in self.live)
        return sorted(self.problems, key=lambda p: (p.line, p.column))

    def visit(self, node: Node, live: bool) -> None:
        kind = node.type
        if kind in ("import_statement", "export_statement"):
            self.module(_string_value(node.child_by_field_name("source")), node)
        elif kind in ("call_expression", "new_expression"):
            self.call(node, live)
        elif kind == "member_expression":
            self.member(node)
        elif kind == "identifier" and not _is_binding(node):
            self.identifier(node)

    def module(self, specifier: str | None, node: Node) -> None:
        if specifier is None or not node_module_rule(specifier, self.middleware):
            return
        self.add(node_module_rule(specifier, self.middleware), specifier, node)

    def call(self, node: Node, live: bool) -> None:
        callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
        if callee is None:
            return
        callee = _unwrap(callee)
        arguments = node.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_child_count else None
        if callee.type == "import":
            self.module(_string_value(first), node)
            return
        name = _text(callee)
        if self.free(callee, "require"):
            self.module(_string_value(first), node)
        elif name in ("eval", "Function", "globalThis.eval", "globalThis.Function") and (
            callee.type == "member_expression" or name not in self.own
        ):
            self.dynamic_code(name.removeprefix("globalThis."), node, live)
        elif name == "WebAssembly.compile" and "WebAssembly" not in self.own:
            self.dynamic_code(name, node, live)
        elif name == "WebAssembly.instantiate" and "WebAssembly" not in self.own and first is not None:
            self.add("wasm-instantiate", name, node)

    def dynamic_code(self, api: str, node: Node, live: bool) -> None:
        """next build rejects it in middleware, where an export uses it; elsewhere it throws when run."""
        self.add("dynamic-code" if live and self.rejects_dynamic_code else "dynamic-code-run", api, node)

    def member(self, node: Node) -> None:
        target = _unwrap(node.child_by_field_name("object"))
        member = _text(node.child_by_field_name("property"))
        if not self.free(target, "process") or member == "env" or member in _OBJECT_MEMBERS:
            return
        is_function = member in self.facts["process_functions"]  # own function members of Node's process
        self.add("process-function" if is_function else "process-value", f"process.{member}", node)

    def identifier(self, node: Node) -> None:
        name = _text(node)
        if name in self.own:
            return
        if name == "Buffer":
            self.add("buffer-global", name, node)
        elif name in self.facts["node_globals"]:
            self.add("node-global", name, node)
        elif name in self.facts["bundler_globals"]:
            self.add("bundler-global", name, node)
        elif name in self.facts["stubbed_globals"]:
            self.add("unsupported-api", name, node)


def node_module_rule(specifier: str, middleware: bool) -> str | None:
    """next build's verdict on edge code importing a Node built-in, as recorded from Next 15.5: a ``node:`` URI
    fails the build (UnhandledSchemeError); a bare one fails an edge route (Module not found) but only warns in
    middleware, where it becomes a module that throws when used; buffer, events, ... are Next's own (None)."""
    bare = specifier.removeprefix("node:").split("/")[0]
    if bare in table()["edge_node_modules"]:
        return None
    if specifier.startswith("node:"):
        return "node-scheme"
    if bare not in table()["node_builtins"]:
        return None
    return "node-module-loaded" if middleware else "node-module"


def _glob(pattern: str) -> re.Pattern:
    """A picomatch-style glob (``**``, ``*``, ``?``) as a regex over '/'-rooted paths."""
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern if pattern.startswith("/") else "/" + pattern)
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def _dynamic_code_rejected(entry: str, entry_source: str) -> Callable[[str], bool]:
    """Whether next build rejects dynamic code in a file bundled into ``entry``: in a middleware's files,
    except those its ``config.unstable_allowDynamic`` globs allow."""
    if file_kind(entry) not in ("middleware", "proxy"):
        return lambda file: False
    config = exported_consts(parse(entry_source, entry)).get("config")
    allowed = _property(config, "unstable_allowDynamic") if config is not None and config.type == "object" else None
    items = [allowed] if allowed is not None and allowed.type == "string" else allowed.named_children if allowed else []
    globs = [_glob(value) for value in map(_string_value, items) if value]
    return lambda file: not any(glob.fullmatch("/" + file) for glob in globs)


def _edge_check(source: str, path: str, rejects_dynamic_code: bool, middleware: bool) -> list[Problem]:
    found = nodes(source, path)
    if found.root.has_error:  # the build reports the syntax error itself, with a better message
        return []
    return _Finder(source, path, found, rejects_dynamic_code, middleware).run()


def _is_middleware(path: str) -> bool:
    return file_kind(path) in ("middleware", "proxy")


#: The rules next build applies to package code on edge (its parser hooks on process.* and the stubbed globals).
PACKAGE_RULES = frozenset({"unsupported-api", "process-function", "process-value"})


def package_api_problems(source: str, path: str) -> list[Problem]:
    """The Node.js APIs an npm package's file uses on edge, as next build warns about them."""
    names = ("process", *table()["stubbed_globals"])
    if not any(name in source for name in names):
        return []
    found = _Finder(source, path, nodes(source, path), rejects_dynamic_code=False).run()
    return [problem for problem in found if problem.name in PACKAGE_RULES]


def check(source: str, runtime: str = "edge", path: str = "cell.ts") -> list[Problem]:
    """The API-compatibility problems of a cell for ``runtime``, in source order (see ``rules.json``)."""
    if runtime not in ("edge", "nodejs"):
        raise ValueError(f"runtime must be 'edge' or 'nodejs', not {runtime!r}")
    moved = _moved_imports(source, path, runtime)
    if runtime == "nodejs":
        declared = declared_runtime(source, path)
        if declared == "edge":
            where = _runtime_position(source, path)
            return [rules()["edge-runtime-in-node"].problem("edge", path, source, *where, runtime="nodejs"), *moved]
        return moved
    problems = _edge_check(source, path, _dynamic_code_rejected(path, source)(path), _is_middleware(path))
    if declared_runtime(source, path) == "nodejs":
        where = _runtime_position(source, path)
        problems.insert(0, rules()["node-runtime-in-edge"].problem("nodejs", path, source, *where))
    return _static_generation_on_edge(source, path) + moved + problems


def _moved_imports(source: str, path: str, runtime: str) -> list[Problem]:
    """``import { ImageResponse } from 'next/server'``, which next build refuses on either runtime."""
    if "ImageResponse" not in source:
        return []
    found = nodes(source, path)
    problems = []
    for statement in found.modules:
        clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
        if clause is None or _string_value(statement.child_by_field_name("source")) != "next/server":
            continue
        for child in (c for c in clause.named_children if c.type == "named_imports"):
            for specifier in (c for c in child.named_children if c.type == "import_specifier"):
                name = specifier.child_by_field_name("name")
                if _text(name) == "ImageResponse":
                    where = (name.start_point.row + 1, name.start_point.column + 1)
                    problems.append(rules()["image-response-import"].problem("ImageResponse", path, source, *where,
                                                                               runtime=runtime))
    return problems


def _static_generation_on_edge(source: str, path: str) -> list[Problem]:
    """Next's build warnings for an edge route that asks to be prerendered: the Edge runtime has no ISR."""
    if file_kind(path) != "route" or not segment_config(source, path).static_generation:
        return []
    config = exported_consts(parse(source, path))
    asks = config.get("revalidate") or config.get("dynamic") or config.get("generateStaticParams")
    where = (asks.start_point.row + 1, asks.start_point.column + 1) if asks is not None else (1, 1)
    problems = [rules()["edge-static-generation"].problem("edge", path, source, *where)]
    if segment_config(source, path).dynamic == "force-static":
        pattern = route_for(path).pattern
        problems.append(rules()["edge-force-static"].problem(pattern, path, source, *where))
    return problems


# How a bundler completes a local import to a file (the Node host's loader tries the same list).
_COMPLETIONS = ("", ".ts", ".tsx", ".js", ".mjs", ".jsx", "/index.ts", "/index.tsx", "/index.js", "/index.mjs")


def _bindings(clause: Node) -> list[tuple[Node, str]]:
    """The names an import clause binds: (the node to remove with it, the local name); ``type`` ones as ''."""
    found = []
    for child in clause.named_children:
        if child.type == "identifier":
            found.append((child, _text(child)))
        elif child.type == "namespace_import":
            found.append((child, _text(child.named_children[-1])))
        elif child.type == "named_imports":
            for specifier in (c for c in child.named_children if c.type == "import_specifier"):
                local = specifier.child_by_field_name("alias") or specifier.child_by_field_name("name")
                typed = any(c.type == "type" for c in specifier.children)
                found.append((specifier, "" if typed else _text(local)))
    return found


@lru_cache(maxsize=256)
def erase_type_imports(source: str, path: str) -> str:
    """The cell as TypeScript compiles it for a bundle: imported names used only as types, or not at all, are
    erased, and an import left with none is dropped (``import { JWTPayload } from 'jose'`` needs no such export,
    and a package of types only needs nothing at run time). Erased text becomes spaces: lines stay put.
    """
    found = nodes(source, path)
    statements = [s for s in found.root.named_children if s.type == "import_statement"]
    if not statements or found.root.has_error:
        return source
    imports = [(s.start_byte, s.end_byte) for s in found.modules if s.type == "import_statement"]
    values = {_text(n) for n in found.runs([*found.identifiers, *found.shorthands])
              if not any(start <= n.start_byte and n.end_byte <= end for start, end in imports)}
    spans: list[tuple[int, int]] = []
    for statement in statements:
        clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
        if clause is None or any(c.type == "type" for c in statement.children):
            continue  # a side-effect import stays; `import type` the stripper removes
        bindings = _bindings(clause)
        unused = [node for node, name in bindings if name not in values]
        if len(unused) == len(bindings):
            spans.append((statement.start_byte, statement.end_byte))
            continue
        for node in unused:  # with the comma that separates it from the next name (or the one before)
            after = node.next_sibling
            before = node.prev_sibling
            if after is not None and after.type == ",":
                spans.append((node.start_byte, after.end_byte))
            elif before is not None and before.type == ",":
                spans.append((before.start_byte, node.end_byte))
            else:
                spans.append((node.start_byte, node.end_byte))
    if not spans:
        return source
    data = bytearray(source.encode())
    for start, end in spans:
        data[start:end] = blank(bytes(data[start:end]))
    return data.decode()


@lru_cache(maxsize=256)
def module_imports(source: str, path: str) -> tuple[tuple[str, int, int], ...]:
    """What a cell imports (static imports and exports-from, ``import('...')``), with each line and column.

    Imports TypeScript erases (of types only, or unused) are left out, as they are left out of a bundle. Cached: a
    deploy asks for the imports of the same cells several times (the graph, the packages, the routes affected).
    """
    found = []
    index = nodes(erase_type_imports(source, path), path)
    for node in sorted(index.runs([*index.modules, *index.calls]), key=lambda node: (node.start_byte, -node.end_byte)):
        specifier = None
        if node.type in ("import_statement", "export_statement"):
            if any(child.type == "type" for child in node.children):  # import type / export type
                continue
            specifier = _string_value(node.child_by_field_name("source"))
        elif node.type == "call_expression" and node.child_by_field_name("function").type == "import":
            arguments = node.child_by_field_name("arguments")
            specifier = _string_value(arguments.named_children[0]) if arguments.named_child_count else None
        if specifier:
            found.append((specifier, node.start_point.row + 1, node.start_point.column + 1))
    return tuple(found)


def local_target(specifier: str, path: str) -> str | None:
    """The app path an import names by path ('./x', '../x', '@/x'), uncompleted; None for a package.

    ``@/`` is the alias create-next-app writes into tsconfig.json: the app's root, or ``src/`` in an app whose code
    lives there (so a file under ``src/`` reads it as ``src/``).
    """
    if specifier.startswith("@/"):
        return ("src/" if path.startswith("src/") else "") + specifier[2:]
    if specifier.startswith("."):
        return posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
    return None


def completed(base: str, sources: Mapping[str, str]) -> str | None:
    """The deployed file a local import resolves to, completed as a bundler completes it."""
    return next((base + end for end in _COMPLETIONS if base + end in sources), None)


def graph(path: str, sources: Mapping[str, str]) -> list[str]:
    """The cell and every deployed cell it imports, directly or not: what one bundle holds."""
    seen, pending = [path], [path]
    while pending:
        current = pending.pop()
        for specifier, _, _ in module_imports(sources[current], current):
            base = local_target(specifier, current)
            target = completed(base, sources) if base is not None else None
            if target is not None and target not in seen:
                seen.append(target)
                pending.append(target)
    return seen


def check_graph(path: str, sources: Mapping[str, str], runtime: str = "edge") -> list[Problem]:
    """``check`` of a cell and, on edge, of every deployed cell it imports: a bundle holds them all."""
    problems = check(sources[path], runtime, path)
    if runtime != "edge":
        return problems
    rejects = _dynamic_code_rejected(path, sources[path])
    for target in graph(path, sources)[1:]:
        problems += _edge_check(sources[target], target, rejects(target), _is_middleware(path))
    return problems


def _runtime_position(source: str, path: str) -> tuple[int, int]:
    for node in nodes(source, path).identifiers:
        if _text(node) == "runtime" and _is_binding(node):
            return node.start_point.row + 1, node.start_point.column + 1
    return 1, 1


def bundled(source: str, runtime: str, path: str = "cell.ts") -> str:
    """The cell as Next's bundler hands it to the edge runtime: free ``Buffer``, ``__dirname``, ``global``...
    bound to what the bundler gives them (``node:buffer``, ``nbruntime/js/bundler.mjs``).

    The imports go after the last line (imports are hoisted), so every line and column stays the cell's.
    """
    if runtime != "edge":
        return source
    found = nodes(source, path)
    used = {_text(n) for n in found.runs(found.identifiers) if not _is_binding(n)} - declared_names(found)
    names = sorted(used & set(table()["bundler_globals"]))
    if "Buffer" in used:
        source += "\nimport { Buffer } from 'node:buffer';"
    if names:
        source += f"\nimport {{ {', '.join(names)} }} from 'nbruntime/bundler';"
    return source + "\n" if "Buffer" in used or names else source
