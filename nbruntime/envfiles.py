"""``process.env`` as ``next start`` builds it: the kernel's environment plus the project's ``.env`` files.

Next.js (``@next/env``) reads, in production mode, ``.env.production.local``, ``.env.local``,
``.env.production`` and ``.env``; the first file that sets a key wins, and a variable already in the
environment wins over every file. Values may refer to other variables (``$NAME``, ``${NAME}``,
``${NAME:-default}``), quoted or not, as recorded from Next 15.5 (tests/edge_cases/edge-env-files);
``\\$`` keeps a literal dollar sign. ``next start`` runs with ``NODE_ENV=production`` unless the
environment says otherwise, and the build inlines ``process.env.NODE_ENV`` and ``process.env.NEXT_PUBLIC_*``
into the code (tests/conformance/production-env).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from tree_sitter import Node

from .syntax import nodes

#: Highest precedence first.
ENV_FILES = (".env.production.local", ".env.local", ".env.production", ".env")

_LINE = re.compile(
    r"""^[ \t]*(?:export[ \t]+)?([\w.-]+)[ \t]*=[ \t]*"""  # KEY =
    r"""("(?:\\.|[^"\\])*"|'[^']*'|`[^`]*`|[^\n#]*?)[ \t]*(?:\#[^\n]*)?$""",  # value, then a comment
    re.MULTILINE,
)
_REFERENCE = re.compile(r"\\\$|\$(?:\{([\w.]+)(?::-([^}]*))?\}|([A-Za-z_]\w*))")


def parse_env(text: str) -> dict[str, str]:
    """``KEY=value`` lines as a dict, quotes removed (``\\n`` in double quotes is a newline)."""
    found: dict[str, str] = {}
    for match in _LINE.finditer(text.replace("\r\n", "\n")):
        key, raw = match.group(1), match.group(2)
        quote = raw[:1] if raw[:1] in "\"'`" and len(raw) > 1 and raw[-1] == raw[0] else ""
        value = raw[1:-1] if quote else raw
        if quote == '"':
            value = value.replace("\\n", "\n").replace('\\"', '"')
        found[key] = value
    return found


def _expand(value: str, lookup: Mapping[str, str]) -> str:
    def replace(match: re.Match) -> str:
        if match.group(0) == "\\$":
            return "$"
        braced, default, plain = match.groups()
        name = braced or plain
        return lookup.get(name) or (default or "")

    return _REFERENCE.sub(replace, value)


def project_env(base: Mapping[str, str], folders: Sequence[Path]) -> tuple[dict[str, str], list[Path]]:
    """The environment the app's code sees, and which env files it came from.

    Each env file is taken from the first of ``folders`` that has it (the project folder, then any
    folder standing in for it, like the notebook's).
    """
    from_files: dict[str, str] = {}
    used = []
    for name in ENV_FILES:
        path = next((folder / name for folder in folders if (folder / name).is_file()), None)
        if path is not None:
            used.append(path)
            for key, item in parse_env(path.read_text()).items():
                from_files.setdefault(key, item)
    env = dict(base)
    for key, value in from_files.items():
        if key not in env:
            env[key] = _expand(value, {**from_files, **env})
    env.setdefault("NODE_ENV", "production")  # as `next start` sets it
    env["NEXT_RUNTIME"] = "nodejs"  # what `next start` sets; the edge realm says 'edge' instead
    return env, used


def inlined_env(source: str, env: Mapping[str, str], path: str = "cell.ts") -> str:
    """The cell with ``process.env.NODE_ENV`` and ``process.env.NEXT_PUBLIC_*`` replaced by their values.

    As Next's build does (its DefinePlugin): only that exact member form is inlined, not ``process.env[key]``
    or assignments; a ``NEXT_PUBLIC_`` variable that is not set stays a lookup. A value shorter than the
    expression is padded with spaces, so the columns after it stay the cell's.
    """
    values = {**{k: v for k, v in env.items() if k.startswith("NEXT_PUBLIC_")}, "NODE_ENV": "production"}
    found = [node for node in _env_reads(nodes(source, path).members)
             if node.child_by_field_name("property").text.decode() in values]
    if not found:
        return source
    data = source.encode()
    for node in sorted(found, key=lambda n: n.start_byte, reverse=True):
        literal = json.dumps(values[node.child_by_field_name("property").text.decode()]).encode()
        literal = literal.ljust(node.end_byte - node.start_byte)
        data = data[: node.start_byte] + literal + data[node.end_byte :]
    return data.decode()


def _env_reads(members: list[Node]) -> Iterator[Node]:
    """The ``process.env.NAME`` member expressions of ``members`` that are read (not assigned to or deleted)."""
    for node in members:
        if node.child_by_field_name("object").text != b"process.env":
            continue
        parent = node.parent
        written = parent is not None and (
            (parent.type in ("assignment_expression", "augmented_assignment_expression")
             and parent.child_by_field_name("left") == node)
            or (parent.type == "unary_expression" and parent.text.startswith(b"delete"))
        )
        optional = any(child.type == "optional_chain" for child in node.children)
        if not written and not optional and node.child_by_field_name("property").type == "property_identifier":
            yield node
