"""The nodes of a cell's syntax tree that the analyses read, found in one pass of tree-sitter's query engine.

Walking a tree node by node in Python costs about a microsecond a node, and a cell of a hundred lines has thousands
(every string, comma and bracket); the analyses want a few kinds of them. The query engine finds those in C, once
per cell, and each analysis then reads the few it needs.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cache, lru_cache

import tree_sitter_typescript
from tree_sitter import Language, Node, Query, QueryCursor

from .segment import Edit, edit_of, parse

# Subtrees that are only types: TypeScript erases them, so nothing in them runs.
TYPE_ONLY = ("type_annotation", "type_alias_declaration", "interface_declaration", "type_arguments", "type_query")
_PATTERN = f"""
(identifier) @identifier
(shorthand_property_identifier) @shorthand
(shorthand_property_identifier_pattern) @pattern
[(call_expression) (new_expression)] @call
(member_expression) @member
[(import_statement) (export_statement)] @module
[{" ".join(f"({kind})" for kind in TYPE_ONLY)}] @type
"""

# TypeScript's own syntax (typestrip.py): its node kinds, and the keywords it adds to JavaScript's nodes. Kinds alone
# (the structure is read in Python): a pattern with structure costs tens of milliseconds to compile, in the first cell.
_TYPESCRIPT_KINDS = (
    "type_annotation", "type_arguments", "type_parameters", "implements_clause", "asserts_annotation",
    "type_predicate_annotation", "accessibility_modifier", "opting_type_annotation", "omitting_type_annotation",
    "adding_type_annotation", "type_alias_declaration", "interface_declaration", "ambient_declaration",
    "function_signature", "abstract_method_signature", "index_signature", "method_signature", "as_expression",
    "satisfies_expression", "lookup_type", "array_type", "enum_declaration", "internal_module", "module",
    "import_alias", "import_require_clause", "decorator", "override_modifier", "type_assertion",
)
_TYPESCRIPT = f"""
[{" ".join(f"({kind})" for kind in _TYPESCRIPT_KINDS)}] @typescript
["?" "!" "<" "readonly" "abstract" "declare" "type"] @keyword
"""


@cache
def _query(tsx: bool) -> Query:
    if tsx:
        return Query(Language(tree_sitter_typescript.language_tsx()), _PATTERN)
    return Query(Language(tree_sitter_typescript.language_typescript()), _PATTERN + _TYPESCRIPT)


def _in_order(found: list[Node]) -> list[Node]:
    """Nodes in the order a walk of the tree meets them (an outer node before the nodes it holds)."""
    return sorted(found, key=lambda node: (node.start_byte, -node.end_byte))


@dataclass(frozen=True, eq=False)
class Nodes:
    """A cell's tree and its nodes of the kinds the analyses read, each list in source order."""

    root: Node
    identifiers: list[Node]  # identifier
    shorthands: list[Node]  # shorthand_property_identifier ({ x } in an object)
    patterns: list[Node]  # shorthand_property_identifier_pattern ({ x } in a destructuring)
    calls: list[Node]  # call_expression, new_expression
    members: list[Node]  # member_expression
    modules: list[Node]  # import_statement, export_statement
    _type_starts: list[int]  # the byte ranges of the outermost type-only subtrees
    _type_ends: list[int]
    _statement_starts: list[int]  # where each top-level statement (named child of the root) starts
    typescript: list[Node]  # nodes of _TYPESCRIPT_KINDS (a .ts cell's; see typestrip.py)
    keywords: list[Node]  # the ? ! < readonly abstract declare type tokens (a .ts cell's)

    def typed(self, node: Node) -> bool:
        """Whether the node is in a type-only subtree (or is one): TypeScript erases it."""
        at = bisect.bisect_right(self._type_starts, node.start_byte) - 1
        return at >= 0 and node.end_byte <= self._type_ends[at]

    def statement_of(self, node: Node) -> int:
        """The index (among the root's named children) of the top-level statement holding the node."""
        return bisect.bisect_right(self._statement_starts, node.start_byte) - 1

    def runs(self, found: list[Node]) -> list[Node]:
        """The nodes of ``found`` outside type-only subtrees."""
        return [node for node in found if not self.typed(node)]


# The captures of the last tree each grammar's query read: a cell edited and deployed again is read as an edit of it.
_last: dict[bool, tuple[Node, dict[str, list[Node]]]] = {}


def _captures(root: Node, tsx: bool) -> dict[str, list[Node]]:
    """What the query captures in the tree, each list in source order. A tree parsed as an edit of the one read last
    is read only where it changed; the nodes elsewhere are that tree's, found again in this one (a 100-line cell with
    one constant changed: 0.15 ms instead of the query's 0.75, whose walk visits every node of the tree)."""
    edit, last = edit_of(root, tsx), _last.get(tsx)
    captures = None
    if edit is not None and last is not None and last[0] == edit.before and not (root.has_error or last[0].has_error):
        captures = _captures_after(edit, last[1], root, tsx)
    if captures is None:
        captures = {name: _in_order(found) for name, found in QueryCursor(_query(tsx)).captures(root).items()}
    _last[tsx] = (root, captures)
    return captures


def _captures_after(edit: Edit, before: dict[str, list[Node]], root: Node, tsx: bool) -> dict[str, list[Node]] | None:
    """The captures of ``root``: the query's in the edit's dirty span, and the earlier tree's outside it, each found
    in ``root`` at its shifted place; None if one is not there (then the whole tree is read)."""
    (low, high), shift = edit.dirty, edit.shift
    cursor = QueryCursor(_query(tsx))
    # The nodes that overlap or touch the span (a token cut short by the edit may end where the span starts), and
    # their ancestors: read again. The query takes the nodes that overlap its range, so the range reaches a byte past.
    cursor.set_byte_range(max(low - 1, 0), high + 1)
    fresh = cursor.captures(root)
    captures = {}
    for name in before.keys() | fresh.keys():
        found = [node for node in fresh.get(name, ()) if node.end_byte >= low and node.start_byte <= high]
        for node in before.get(name, ()):
            start, end = node.start_byte, node.end_byte
            if start > high - shift:
                start, end = start + shift, end + shift
            elif end >= low:
                continue  # at the span: read again above
            same = _node_at(root, node.type, start, end)
            if same is None:
                return None
            found.append(same)
        captures[name] = _in_order(found)
    return captures


def _node_at(root: Node, kind: str, start: int, end: int) -> Node | None:
    """The innermost node of that kind spanning exactly those bytes, if there is one."""
    node = root.descendant_for_byte_range(start, end)
    while node is not None and node.start_byte == start and node.end_byte == end:
        if node.type == kind:
            return node
        node = node.parent
    return None


@lru_cache(maxsize=64)
def _nodes(source: str, tsx: bool) -> Nodes:
    root = parse(source, "cell.tsx" if tsx else "cell.ts")
    captures = _captures(root, tsx)
    starts, ends = [], []
    for node in captures.get("type", []):
        if not ends or node.start_byte >= ends[-1]:  # one inside another's range is covered by it
            starts.append(node.start_byte)
            ends.append(node.end_byte)
    return Nodes(
        root,
        *(captures.get(name, []) for name in ("identifier", "shorthand", "pattern", "call", "member", "module")),
        starts,
        ends,
        [statement.start_byte for statement in root.named_children],
        captures.get("typescript", []),
        captures.get("keyword", []),
    )


def nodes(source: str, path: str = "cell.ts") -> Nodes:
    """The cell's tree (``segment.parse``'s, the same object) and its nodes of the kinds the analyses read."""
    return _nodes(source, path.endswith("x"))
