"""``process.env`` as ``next start`` builds it: the kernel's environment plus the folder's ``.env`` files.

Next.js (``@next/env``) reads, in production mode, ``.env.production.local``, ``.env.local``,
``.env.production`` and ``.env``; the first file that sets a key wins, and a variable already in the
environment wins over every file. Values may refer to other variables (``$NAME``, ``${NAME}``,
``${NAME:-default}``), quoted or not, as recorded from Next 15.5 (tests/edge_cases/edge-env-files);
``\\$`` keeps a literal dollar sign.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

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


def project_env(base: Mapping[str, str], folder: Path) -> tuple[dict[str, str], list[Path]]:
    """The environment the app's code sees, and which env files it came from."""
    from_files: dict[str, str] = {}
    used = []
    for name in ENV_FILES:
        path = folder / name
        if path.is_file():
            used.append(path)
            for key, item in parse_env(path.read_text()).items():
                from_files.setdefault(key, item)
    env = dict(base)
    for key, value in from_files.items():
        if key not in env:
            env[key] = _expand(value, {**from_files, **env})
    env["NEXT_RUNTIME"] = "nodejs"  # what `next start` sets; the edge realm says 'edge' instead
    return env, used
