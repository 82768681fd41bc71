"""What a cell declares about itself (``export const runtime``, ``config``, segment config), read with a real parser.

Next reads a route's segment config the same way, statically: the values must be literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Tree


@cache
def _parser(tsx: bool) -> Parser:
    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Parser(Language(grammar))


def parse(source: str, path: str = "cell.ts") -> Node:
    """The syntax tree of a cell (TypeScript grammar; TSX for .tsx/.jsx files).

    A deploy reads the same cell several times (runtime, config, compatibility, bundling): parse it once.
    """
    return _parse(source, path.endswith("x"))


@dataclass(frozen=True)
class Edit:
    """How a tree was parsed as an edit of the one before it: outside ``dirty`` (a span of the new text, holding the
    edit) the two trees have the same nodes, those after it ``shift`` bytes further on."""

    before: Node
    shift: int
    dirty: tuple[int, int]


# The last tree of each grammar and its text: a cell edited and deployed again is parsed as an edit of it.
_last: dict[bool, tuple[bytes, Tree]] = {}
_edits: dict[bool, tuple[Node, Edit]] = {}  # the last tree so parsed, and its edit


@lru_cache(maxsize=64)
def _parse(source: str, tsx: bool) -> Node:
    data = source.encode()
    previous = _last.get(tsx)
    edit = _edit(*previous, data) if previous else None
    if edit is None:
        tree = _parser(tsx).parse(data)
    else:
        edited, span = edit
        tree = _parser(tsx).parse(data, edited)
        # tree-sitter says which ranges of the new tree changed in structure; with the edit itself, that is the span
        # where its nodes may differ from the old tree's (syntax.py reads only that span again).
        changed = [(changed.start_byte, changed.end_byte) for changed in edited.changed_ranges(tree)]
        dirty = (min([span[0], *(start for start, _ in changed)]), max([span[2], *(end for _, end in changed)]))
        _edits[tsx] = (tree.root_node, Edit(previous[1].root_node, span[2] - span[1], dirty))
    _last[tsx] = (data, tree)
    return tree.root_node


def edit_of(root: Node, tsx: bool) -> Edit | None:
    """How ``root``'s tree was parsed as an edit of the tree parsed before it, if it is the last tree so parsed."""
    last = _edits.get(tsx)
    return last[1] if last is not None and last[0] == root else None


def _edit(old: bytes, tree: Tree, new: bytes) -> tuple[Tree, tuple[int, int, int]] | None:
    """A copy of ``old``'s tree told where ``new`` differs from it (tree-sitter then reparses only around the change),
    and the changed span (start, old end, new end); None when they share too little for that to pay."""
    start = _common_prefix(old, new)
    end = _common_prefix(old[start:][::-1], new[start:][::-1])  # the common suffix after it
    if start + end < len(new) // 2:
        return None
    edited = tree.copy()
    edited.edit(start_byte=start, old_end_byte=len(old) - end, new_end_byte=len(new) - end,
                start_point=_point(old, start), old_end_point=_point(old, len(old) - end),
                new_end_point=_point(new, len(new) - end))
    return edited, (start, len(old) - end, len(new) - end)


def _common_prefix(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix (a binary search of slice comparisons, each done in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """Row and column (in bytes, as tree-sitter counts) of a byte offset."""
    return data.count(b"\n", 0, offset), offset - (data.rfind(b"\n", 0, offset) + 1)


def _string(node: Node | None) -> str | None:
    if node is not None and node.type == "string":
        return node.text.decode()[1:-1]
    return None


def exported_consts(root: Node) -> dict[str, Node]:
    """The value nodes of ``export const NAME = value`` declarations at the top of the module."""
    found = {}
    for statement in root.children:
        if statement.type != "export_statement":
            continue
        declaration = statement.child_by_field_name("declaration")
        if declaration is None or declaration.type != "lexical_declaration":
            continue
        for declarator in declaration.children:
            if declarator.type == "variable_declarator":
                name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if name is not None and value is not None:
                    found[name.text.decode()] = value
    return found


def _property(obj: Node, key: str) -> Node | None:
    for pair in obj.children:
        if pair.type == "pair" and pair.child_by_field_name("key").text.decode().strip("'\"") == key:
            return pair.child_by_field_name("value")
    return None


def declared_runtime(source: str, path: str = "cell.ts") -> str | None:
    """``'edge'`` or ``'nodejs'`` if the file says so (``export const runtime`` or ``config.runtime``)."""
    consts = exported_consts(parse(source, path))
    runtime = _string(consts.get("runtime"))
    config = consts.get("config")
    if runtime is None and config is not None and config.type == "object":
        runtime = _string(_property(config, "runtime"))
    return {"experimental-edge": "edge"}.get(runtime, runtime)


Revalidate = int | float | Literal[False] | None


@dataclass(frozen=True)
class SegmentConfig:
    """A route's segment config (``export const dynamic = ...``); ``None`` where the file does not say."""

    dynamic: str | None = None  # 'auto' | 'force-dynamic' | 'error' | 'force-static'
    revalidate: Revalidate = None  # False, 0 or seconds
    dynamic_params: bool | None = None
    fetch_cache: str | None = None
    runtime: str | None = None
    generate_static_params: bool = False
    generate_sitemaps: bool = False  # a sitemap file's generateSitemaps: a sitemap per id

    @property
    def static_generation(self) -> bool:
        """Whether ``next build`` tries to prerender the GET handler (Next's isStaticGenEnabled)."""
        revalidate = self.revalidate
        return (
            self.dynamic in ("force-static", "error")
            or revalidate is False
            or (revalidate is not None and revalidate > 0)
            or self.generate_static_params
        )


def _literal(node: Node | None) -> object:
    """The value of a literal (string, number, boolean); ``None`` for anything else."""
    if node is None:
        return None
    if node.type == "string":
        return node.text.decode()[1:-1]
    if node.type == "number":
        number = float(node.text.decode().replace("_", ""))
        return int(number) if number.is_integer() else number
    if node.type in ("true", "false"):
        return node.type == "true"
    if node.type == "identifier" and node.text == b"Infinity":
        return float("inf")
    return None


def _declares_function(root: Node, name: str) -> bool:
    for statement in root.children:
        declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" else None
        if declaration is not None and declaration.type == "function_declaration":
            if declaration.child_by_field_name("name").text.decode() == name:
                return True
    return name in exported_consts(root)


def segment_config(source: str, path: str = "cell.ts") -> SegmentConfig:
    """The segment config a route file exports."""
    root = parse(source, path)
    consts = exported_consts(root)
    revalidate = _literal(consts.get("revalidate"))
    dynamic_params = _literal(consts.get("dynamicParams"))
    return SegmentConfig(
        dynamic=_string(consts.get("dynamic")),
        revalidate=revalidate if isinstance(revalidate, (int, float)) else None,
        dynamic_params=dynamic_params if isinstance(dynamic_params, bool) else None,
        fetch_cache=_string(consts.get("fetchCache")),
        runtime=declared_runtime(source, path),
        generate_static_params=_declares_function(root, "generateStaticParams"),
        generate_sitemaps=_declares_function(root, "generateSitemaps"),
    )


#: next build's schema for a route's segment config (its enum options, in the schema's order of fields).
_ENUMS = {
    "dynamic": ("auto", "error", "force-static", "force-dynamic"),
    "fetchCache": ("auto", "default-cache", "only-cache", "force-cache", "force-no-store", "default-no-store",
                   "only-no-store"),
    "runtime": ("edge", "nodejs"),
}
_FIELDS = ("revalidate", "dynamicParams", "dynamic", "fetchCache", "experimental_ppr", "runtime", "maxDuration")


def segment_config_error(source: str, path: str, page: str) -> str | None:
    """What ``next build`` says of literal segment config values its schema refuses (zod's messages, as Next joins
    them; recorded in tests/conformance/segment-config-values), or None. Values that are not literals are not judged.
    """
    consts = exported_consts(parse(source, path))
    issues = []
    for name in _FIELDS:
        value = _signed_literal(consts.get(name))
        if value is None:
            continue
        issue = _issue(name, value, page)
        if issue:
            issues.append(f'{issue} at "{name}"')
    if not issues:
        return None
    return (f'Invalid segment configuration options detected for "{page}". Read more at '
            f"https://nextjs.org/docs/app/api-reference/file-conventions/route-segment-config: {'; '.join(issues)}")


def _issue(name: str, value: object, page: str) -> str | None:
    kind = "boolean" if isinstance(value, bool) else "string" if isinstance(value, str) else "number"
    if name == "revalidate":
        whole = kind == "number" and (value == float("inf") or (value >= 0 and float(value).is_integer()))
        if value is False or whole:
            return None
        shown = "true" if value is True else f'"{value}"' if kind == "string" else f"{value:g}"
        return f'Invalid revalidate value {shown} on "{page}", must be a non-negative number or false'
    if name in _ENUMS:
        options = " | ".join(f"'{option}'" for option in _ENUMS[name])
        if kind != "string":
            return f"Expected {options}, received {kind}"
        return None if value in _ENUMS[name] else f"Invalid enum value. Expected {options}, received '{value}'"
    if name == "maxDuration":
        if kind != "number":
            return f"Expected number, received {kind}"
        if not float(value).is_integer():
            return "Expected integer, received float"
        return "Number must be greater than or equal to 0" if value < 0 else None
    return None if kind == "boolean" else f"Expected boolean, received {kind}"


def _signed_literal(node: Node | None) -> object:
    """A literal's value, a negative number's included (``-5`` is a unary expression)."""
    if node is not None and node.type == "unary_expression" and node.children[0].type == "-":
        value = _literal(node.children[1])
        return -value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return _literal(node)
