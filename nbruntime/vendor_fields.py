"""Gives the vendored edge engine real private fields again, at build time.

@edge-runtime/primitives ships its classes (Request, Response, Headers, streams, ...) compiled by esbuild for an old
target, which lowers each private field to a WeakMap keyed by the instance. Every request then adds a few dozen
WeakMap entries, and each is an ephemeron the garbage collector must trace at every scavenge: they cost about a tenth
of the edge thread's time in a batch of requests. Here each such WeakMap (or WeakSet, for private methods) becomes a
class with one real private field, which esbuild's helpers use through the same ``has``/``get``/``set`` calls, with the
same TypeErrors. Nothing else of the file changes. Plain Python, so the build hook loads it by path.
"""

from __future__ import annotations

import re
from pathlib import Path

# esbuild's helpers read a lowered member with has/get/set (and add, for a WeakSet, which __privateAdd then skips:
# `member instanceof WeakSet` is false here, so it calls set). Defined once, before those helpers.
_FIELD = """var __privateStamp = class { constructor(object) { return object; } };
var __privateField = () => class Field extends __privateStamp {
  #value;
  constructor(object, value) { super(object); this.#value = value; }
  static has(object) { return Object(object) === object && #value in object; }
  static get(object) { return object.#value; }
  static set(object, value) { if (#value in object) object.#value = value; else new Field(object, value); }
};
"""
_HELPERS = "var __privateAdd = "
_MEMBER = re.compile(r"__privateAdd\(this, (_[\w$]+)")
_DECLARATION = re.compile(r"\b(_[\w$]+) = new Weak(?:Map|Set)\(\)")


def lowered_members(source: str) -> list[str]:
    """The names of the private members still held in a WeakMap or WeakSet in ``source``."""
    members = set(_MEMBER.findall(source))
    return [name for name in _DECLARATION.findall(source) if name in members]


def raise_fields(source: str) -> str:
    """``source`` with each lowered private member made a real private field (unchanged if it has none)."""
    members = set(_MEMBER.findall(source))
    if not lowered_members(source) or _HELPERS not in source:
        return source  # (already raised: the file is rewritten in place, and a build may run again)
    source = _DECLARATION.sub(lambda m: f"{m[1]} = __privateField()" if m[1] in members else m[0], source)
    return source.replace(_HELPERS, _FIELD + _HELPERS, 1)


def raise_vendored_fields(vendor: Path) -> int:
    """Rewrites the engine's files under ``vendor`` (its node_modules) in place; returns how many it changed."""
    changed = 0
    for path in sorted((vendor / "@edge-runtime" / "primitives" / "dist").glob("*.js")):
        source = path.read_text(encoding="utf-8")
        raised = raise_fields(source)
        if raised != source:
            path.write_text(raised, encoding="utf-8")
            changed += 1
    return changed
