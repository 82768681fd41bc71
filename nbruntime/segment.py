"""What a cell declares about itself (``export const runtime``, ``config``), read with a real parser."""

from __future__ import annotations

from functools import cache, lru_cache

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser


@cache
def _parser(tsx: bool) -> Parser:
    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Parser(Language(grammar))


def parse(source: str, path: str = "cell.ts") -> Node:
    """The syntax tree of a cell (TypeScript grammar; TSX for .tsx/.jsx files).

    A deploy reads the same cell several times (runtime, config, compatibility, bundling): parse it once.
    """
    return _parse(source, path.endswith("x"))


@lru_cache(maxsize=64)
def _parse(source: str, tsx: bool) -> Node:
    return _parser(tsx).parse(source.encode()).root_node


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
