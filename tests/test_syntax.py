"""A cell edited and deployed again is read as an edit of its last version (nbruntime/syntax.py): the syntax query runs
only where the tree changed, and the nodes elsewhere are found again in the new tree. Whatever the edit, the nodes the
analyses get must be the ones a whole read of the new cell gives."""

from __future__ import annotations

import re
from functools import partial

from hypothesis import given, settings
from hypothesis import strategies as st

from nbruntime import segment, syntax

ROUTE = """import { NextResponse, type NextRequest } from 'next/server'
import type { Session } from './session'

type Rule = { prefix: string; header?: string }
interface Options { readonly strict: boolean }
const RULES: Rule[] = [
  { prefix: '/api/a', header: 'x-a' },
  { prefix: '/api/b' },
]
declare const flags: Record<string, boolean>
export function middleware(request: NextRequest): Response | undefined {
  const { pathname } = new URL(request.url)
  const rule = RULES.find((r: Rule) => pathname.startsWith(r.prefix))!
  const headers = new Headers({ [rule.header ?? 'x-none']: process.env.LABEL as string })
  return NextResponse.next({ headers }) satisfies Response
}
export const config = { matcher: ['/api/:path*'] as string[] }
"""
PAGE = """import { useState } from 'react'
export default function Page<T,>({ items }: { items: T[] }) {
  const [open, setOpen] = useState(false)
  return <ul onClick={() => setOpen(!open)}>{items.map((item) => <li key={String(item)}>{`${item}`}</li>)}</ul>
}
"""
STATEMENTS = ["import { a } from 'b'\n", "type X = { y?: string }\n", "const z = foo(bar as any)\n", "eval('1')\n",
              "export function g<T>(x: T): T { return x! }\n", "interface K { readonly q: number }\n",
              "const { u, v } = w\n", "let o = { p, q: r }\n", "enum E { A, B }\n", "new Function('x')\n"]
WORDS = ["a", "foo", "eval", "require", "Buffer", "process", "T", "type", "readonly", "as"]
FRAGMENTS = ["(", ")", "'", "{", "}", "<", ">", "x", " ", "\n", "?", "!", ":", ".", "`", "/*"]


def _edited(source: str, kind: int, at: int, choice: int) -> str:
    """One edit a user might make: a statement added, a line gone, a word changed or cut, or a character typed."""
    lines = source.splitlines(keepends=True)
    if kind == 0:
        place = at % (len(lines) + 1)
        return "".join([*lines[:place], STATEMENTS[choice % len(STATEMENTS)], *lines[place:]])
    if kind == 1 and len(lines) > 2:
        place = at % len(lines)
        return "".join([*lines[:place], *lines[place + 1 :]])
    if kind in (2, 3):  # a word replaced, or cut in two (a token that ends where the edit starts)
        words = list(re.finditer(r"[A-Za-z_]\w+", source))
        word = words[at % len(words)]
        if kind == 2:
            return source[: word.start()] + WORDS[choice % len(WORDS)] + source[word.end() :]
        cut = word.start() + 1 + choice % (len(word.group()) - 1)
        return source[:cut] + " \n"[choice % 2] + source[cut + choice % 2 :]
    place = at % (len(source) + 1)
    return source[:place] + FRAGMENTS[choice % len(FRAGMENTS)] + source[place + choice % 3 :]


def _read(found: syntax.Nodes) -> tuple:
    """What the analyses get, as plain values: each list's nodes (kind and span), and the type and statement spans."""
    lists = (found.identifiers, found.shorthands, found.patterns, found.calls, found.members, found.modules,
             found.typescript, found.keywords)
    spans = [[(node.type, node.start_byte, node.end_byte) for node in nodes] for nodes in lists]
    return (*spans, found._type_starts, found._type_ends, found._statement_starts)


@settings(max_examples=300, deadline=None)
@given(tsx=st.booleans(), edits=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10_000), st.integers(0, 50)),
                                         min_size=1, max_size=4))
def test_an_edited_cell_has_the_nodes_a_whole_read_gives(tsx, edits):
    path = "page.tsx" if tsx else "middleware.ts"
    source = PAGE if tsx else ROUTE
    syntax.nodes(source, path)
    for edit in edits:
        source = _edited(source, *edit)
        edited = _read(syntax.nodes(source, path))  # read as an edit of the version before
        syntax._nodes.cache_clear()
        syntax._last.clear()
        assert edited == _read(syntax.nodes(source, path))  # read whole


def test_a_cell_edited_in_one_place_is_read_only_there(monkeypatch):
    """The speed this is for: the query reads a few bytes around the edit, not the cell (a hundred lines of it)."""
    for cache in (syntax._nodes, segment._parse):
        cache.cache_clear()
    ranges = []
    monkeypatch.setattr(syntax, "QueryCursor", partial(_Recording, syntax.QueryCursor, ranges))
    source = ROUTE + "".join(f"const rule{i} = {{ prefix: '/api/r{i}', header: 'x-r{i}' }}\n" for i in range(100))
    syntax.nodes(source, "middleware.ts")
    found = syntax.nodes(source.replace("'/api/r50'", "'/api/r500'"), "middleware.ts")
    assert len(ranges) == 2 and ranges[0] is None and ranges[1][1] - ranges[1][0] < 20
    assert [node.text.decode() for node in found.identifiers[-3:]] == ["rule97", "rule98", "rule99"]


class _Recording:
    """A query cursor that notes the byte range each query is run over (None: the whole tree)."""

    def __init__(self, cursor_class: type, ranges: list, query: object) -> None:
        self._cursor, self._ranges, self._range = cursor_class(query), ranges, None

    def set_byte_range(self, start: int, end: int) -> None:
        self._range = (start, end)
        self._cursor.set_byte_range(start, end)

    def captures(self, node: object) -> dict:
        self._ranges.append(self._range)
        return self._cursor.captures(node)
