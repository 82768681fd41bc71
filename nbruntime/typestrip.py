"""A TypeScript cell as JavaScript, its types blanked out in Python, byte for byte as Node's stripper blanks them.

The host compiles a cell with Node's stripper (amaro), a WebAssembly build of SWC: its first call costs 45-60 ms and
25-35 MB of the host's memory, each later one about a millisecond. The kernel has the cell's syntax tree already
(tree-sitter, for the analyses), so it blanks the types itself: every line and column stays the cell's, and where
the stripper puts a ``;`` so that the next line does not continue the previous one, so do we.

What only a transform compiles (an enum, a namespace, a constructor's parameter properties, ...), what the stripper
refuses (``<T>x``, ``override`` or ``abstract`` where they cannot be), a tree with syntax errors (the stripper says
where), code tree-sitter reads otherwise than TypeScript does (a line after a type that starts with ``(``, ``[`` or
a template, which it takes as part of the type), and a JSX file are left to the stripper: ``strip_types`` returns
None for them. tests/test_typestrip.py holds us to the stripper's output.
"""

from __future__ import annotations

from functools import lru_cache

from tree_sitter import Node

from .syntax import Nodes, nodes

# A line that starts with one of these continues the statement before it, unless a ``;`` ends that one (``++`` and
# ``--`` do not: a line break before them ends it).
_CONTINUES = frozenset(b"([`+-/")
_WHITESPACE = b" \t\n\r\v\f"
_KEPT = frozenset(" \t\n\r\v\f\u2028\u2029")
# A blank for a character of this many UTF-8 bytes: a space, a no-break space, an en space, a space and a zero-width
# no-break space (the last two count two UTF-16 units, as the character did).
_BLANKS = {1: " ", 2: "\u00a0", 3: "\u2002", 4: " \ufeff"}
# What each of TypeScript's node kinds is to the stripper (syntax.py finds them; a kind named nowhere here is one only
# a transform compiles).
_ERASED = frozenset({
    "type_annotation", "type_arguments", "type_parameters", "implements_clause", "asserts_annotation",
    "type_predicate_annotation", "accessibility_modifier", "opting_type_annotation", "omitting_type_annotation",
    "adding_type_annotation",
})
_STATEMENTS = frozenset({
    "type_alias_declaration", "interface_declaration", "ambient_declaration", "function_signature",
    "abstract_method_signature", "index_signature", "method_signature",
})
_CASTS = ("as_expression", "satisfies_expression")
_INDEXED = ("lookup_type", "array_type")  # T[K], T[]
_PARAMETERS = ("required_parameter", "optional_parameter")
# The nodes a keyword is TypeScript's own in (elsewhere it is JavaScript's, or inside a type, blanked with it).
_TOKENS = {
    "?": ("optional_parameter", "method_definition", "public_field_definition"),
    "!": ("non_null_expression", "variable_declarator", "public_field_definition"),
    "readonly": ("public_field_definition",),
    "abstract": ("abstract_class_declaration",),
}
# The nodes a keyword makes TypeScript's own whole (`import type`, `export type {}`, a `declare` or `abstract` field).
_WHOLE = {"type": ("import_statement", "export_statement"), "declare": ("public_field_definition",),
          "abstract": ("public_field_definition",)}


@lru_cache(maxsize=64)
def strip_types(source: str, path: str) -> str | None:
    """The cell as JavaScript, or None where Node's stripper must compile it (see the module's docstring)."""
    if path.endswith("x"):
        return None
    found = nodes(source, path)
    if found.root.has_error:
        return None
    if not found.typescript and not found.keywords:
        return source
    text = source.encode()
    parts = _typescript(found, text)
    return None if parts is None else _blanked(text, *parts)


def _typescript(found: Nodes, text: bytes) -> tuple[list[tuple[int, int]], list[Node]] | None:
    """What the stripper blanks: byte ranges, and declarations that go whole; None if it must compile the cell."""
    erased, statements, unsupported = [], [], []
    for node in found.typescript:
        kind, parent = node.type, node.parent
        if kind in _ERASED:
            erased.append((node.start_byte, node.end_byte))
            if _parameter_property(node) or _this_parameter(node) or _const_without_value(node):
                unsupported.append(node)
        elif kind in _STATEMENTS:
            if kind == "abstract_method_signature" and parent.parent.type != "abstract_class_declaration":
                unsupported.append(parent)  # (the stripper refuses it)
            statements.append(parent if parent.type == "export_statement" else node)
        elif kind in _CASTS:
            # A cast is never the object of a member, call or index without parentheses: tree-sitter read on past
            # its end (a line after `x as T` that starts with `(`, `[` or a template), where TypeScript ends it.
            if parent.type in ("member_expression", "call_expression", "subscript_expression") and \
                    parent.named_children[0] == node:
                return None
            erased.append((node.named_children[0].end_byte, node.end_byte))
        elif kind in _INDEXED:
            if b"\n" in text[node.children[0].end_byte : node.children[1].start_byte]:
                return None  # `T` and a `[` on the next line: one type for tree-sitter, the stripper ends it at `T`
        else:
            unsupported.append(node)
    for node in found.keywords:
        kind, parent = node.type, node.parent
        if parent.type in _WHOLE.get(kind, ()):
            statements.append(parent)
        elif parent.type in _TOKENS.get(kind, ()):
            erased.append((node.start_byte, node.end_byte))
        elif kind == "type" and parent.type in ("import_specifier", "export_specifier"):  # with the comma after it
            after = parent.next_sibling
            erased.append((parent.start_byte, (after if after is not None and after.type == "," else parent).end_byte))
        elif (kind == "readonly" and parent.type in _PARAMETERS) or _comparison_chain(node):
            unsupported.append(node)
    if any(node.type == "export_statement" and any(child.type == "=" for child in node.children)
           for node in found.modules):
        return None  # export = x
    statements = _outermost(statements)
    for node in unsupported:  # (in a declaration that goes whole, it goes with it)
        if not any(s.start_byte <= node.start_byte and node.end_byte <= s.end_byte for s in statements):
            return None
    return erased, statements


def _blanked(text: bytes, erased: list[tuple[int, int]], statements: list[Node]) -> str:
    """The text with those ranges and declarations blanked, and a ``;`` where a declaration kept two lines apart."""
    spans = [(start, end, False) for start, end in erased]
    for node in statements:
        if node.parent.type == "object_type":  # a method or index signature of a type: erased with it
            continue
        if node.parent.type == "class_body":  # a member goes with its `;`
            after = node.next_sibling
            spans.append((node.start_byte, after.end_byte if after is not None and after.type == ";" else node.end_byte,
                          False))
        else:
            ends = _previous_byte(text, node) not in (None, ord(";"))
            spans.append((node.start_byte, node.end_byte, ends and _continues(text, node.end_byte)))
    data = bytearray(text)
    for start, end, _ in spans:
        data[start:end] = blank(text[start:end])
    for start, end, semicolon in spans:  # where the blanked text started
        if semicolon:
            data[end - len(text[start:end].lstrip(_WHITESPACE))] = ord(";")
    return data.decode()


def _parameter_property(node: Node) -> bool:
    """``constructor(private x)``: a transform makes it an assignment."""
    return node.type == "accessibility_modifier" and node.parent.type in _PARAMETERS


def _this_parameter(node: Node) -> bool:
    """``function f(this: T)``: the stripper removes the parameter and its comma."""
    parent = node.parent
    return node.type == "type_annotation" and parent.type == "required_parameter" and \
        parent.named_children[0].type == "this"


def _const_without_value(node: Node) -> bool:
    """``const x: T`` (a declaration file's): the stripper refuses it."""
    declarator = node.parent
    return node.type == "type_annotation" and declarator.type == "variable_declarator" and \
        declarator.child_by_field_name("value") is None and declarator.parent.type == "lexical_declaration" and \
        declarator.parent.children[0].type == "const"


def _comparison_chain(node: Node) -> bool:
    """``a < b > c``, which is how tree-sitter reads ``f<T>`` and a template on the next line (a tagged template)."""
    parent = node.parent
    return node.type == "<" and parent.type == "binary_expression" and parent.parent.type == "binary_expression" and \
        parent.parent.named_children[0] == parent and parent.parent.children[1].type == ">"


def _outermost(declarations: list[Node]) -> list[Node]:
    """The declarations that no other of them holds (an interface's methods go with it, an export's declaration too)."""
    outer: list[Node] = []
    for node in sorted(declarations, key=lambda node: (node.start_byte, -node.end_byte)):
        if not outer or node.start_byte >= outer[-1].end_byte:
            outer.append(node)
    return outer


def blank(text: bytes) -> bytes:
    """UTF-8 ``text`` blanked as the stripper blanks a type: whitespace and line breaks stay, every other character
    becomes a blank of the same UTF-8 and UTF-16 length, so every line and column after it stays put."""
    if text.isascii():
        return bytes(b if b in _WHITESPACE else 32 for b in text)
    return "".join(c if c in _KEPT else _BLANKS[len(c.encode())] for c in text.decode()).encode()


def _previous_byte(text: bytes, node: Node) -> int | None:
    """The last byte of what comes before the node in its block (comments aside), None if nothing does."""
    before = node.prev_sibling
    while before is not None and before.type == "comment":
        before = before.prev_sibling
    return None if before is None else text[before.end_byte - 1]


def _continues(text: bytes, at: int) -> bool:
    """Whether the code from ``at`` on (whitespace and comments aside) would continue a statement before it."""
    while at < len(text):
        if text[at] in _WHITESPACE:
            at += 1
        elif text.startswith(b"//", at):
            at = text.find(b"\n", at)
            if at < 0:
                return False
        elif text.startswith(b"/*", at):
            at = text.find(b"*/", at + 2)
            if at < 0:
                return False
            at += 2
        else:
            return text[at] in _CONTINUES and text[at : at + 2] not in (b"++", b"--")
    return False
