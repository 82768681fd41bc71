"""Middleware matchers, compiled at deploy time exactly as Next.js compiles ``config.matcher``.

Next reads ``config`` from the syntax tree (so only literals count), checks it against a strict schema,
wraps each ``source`` in its ``/_next/data`` and ``.json`` affixes, and turns it into a regex with its
vendored path-to-regexp (v6). We do the same here, in Python, and send Node only the regex sources: per
request, Node just tests them against the raw and decoded pathname and checks ``has`` / ``missing``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tree_sitter import Node

from .errors import Problem, code_frame
from .segment import exported_consts, parse

MAX_SOURCE = 4096
_DELIMITER = "/#?"
_PREFIXES = "./"
_HAS_TYPES = ("header", "query", "cookie", "host")
_DOCS = "https://nextjs.org/docs/messages/invalid-page-config"
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0", "\n": ""}


class MatcherError(ValueError):
    """A ``config`` that ``next build`` refuses; ``node`` says where."""

    def __init__(self, message: str, node: Node | None = None):
        super().__init__(message)
        self.node = node


@dataclass(frozen=True)
class Matcher:
    """One compiled matcher: the user's ``source``, its regex source, and its ``has``/``missing`` conditions."""

    source: str
    regex: str
    has: tuple[dict, ...] = ()
    missing: tuple[dict, ...] = ()

    def as_message(self) -> dict:
        return {"source": self.source, "regex": self.regex, "has": list(self.has), "missing": list(self.missing)}


# -- reading literals from the syntax tree ------------------------------------------------------


def literal(node: Node) -> Any:
    """The value of a literal expression (what Next's static analysis accepts), else MatcherError."""
    kind = node.type
    if kind in ("satisfies_expression", "as_expression", "parenthesized_expression"):
        return literal(node.named_children[0])
    if kind == "string":
        return "".join(_unescape(part) for part in node.named_children)
    if kind == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(_unescape(part) for part in node.named_children)
    if kind == "number":
        return float(node.text.decode().replace("_", ""))
    if kind in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[kind]
    if kind == "array":
        return [literal(item) for item in node.named_children if item.type != "comment"]
    if kind == "object":
        out = {}
        for pair in node.named_children:
            if pair.type == "comment":
                continue
            if pair.type != "pair":
                raise MatcherError("only plain `key: value` properties can be read at build time", pair)
            key = pair.child_by_field_name("key")
            name = literal(key) if key.type == "string" else key.text.decode()
            out[name] = literal(pair.child_by_field_name("value"))
        return out
    raise MatcherError(f"`{node.text.decode()[:60]}` is not a literal Next.js can read at build time", node)


def _unescape(part: Node) -> str:
    text = part.text.decode()
    if part.type != "escape_sequence":
        return text
    body = text[1:]
    if body[0] in "xu" and len(body) > 1:
        return chr(int(body[1:].strip("{}"), 16))
    return _ESCAPES.get(body, body)


# -- the schema ----------------------------------------------------------------------------------


def _check_has(entries: Any, where: str) -> tuple[dict, ...]:
    if not isinstance(entries, list):
        raise MatcherError(f"{where} must be an array of {{ type, key, value? }} conditions")
    out = []
    for index, entry in enumerate(entries):
        at = f"{where}[{index}]"
        if not isinstance(entry, dict) or entry.get("type") not in _HAS_TYPES:
            raise MatcherError(f"{at}.type must be one of {', '.join(map(repr, _HAS_TYPES))}")
        allowed = {"type", "value"} | ({"key"} if entry["type"] != "host" else set())
        if unknown := sorted(set(entry) - allowed):
            raise MatcherError(f"{at} has unknown key(s) {', '.join(map(repr, unknown))}")
        if entry["type"] == "host" and not isinstance(entry.get("value"), str):
            raise MatcherError(f"{at}: a host condition needs a string `value`")
        if entry["type"] != "host" and not isinstance(entry.get("key"), str):
            raise MatcherError(f"{at}.key must be a string")
        if "value" in entry and not isinstance(entry["value"], str):
            raise MatcherError(f"{at}.value must be a string (a regular expression)")
        try:  # JS and Python regexes agree but for the spelling of named groups
            re.compile(re.sub(r"\(\?<(?![=!])", "(?P<", entry.get("value", "")))
        except re.error as error:
            raise MatcherError(f"{at}.value is not a valid regular expression: {error}") from None
        out.append(entry)
    return tuple(out)


def _entries(matcher: Any) -> list[dict]:
    items = matcher if isinstance(matcher, list) else [matcher]
    out = []
    for index, item in enumerate(items):
        at = f"matcher[{index}]" if isinstance(matcher, list) else "matcher"
        if isinstance(item, str):
            item = {"source": item}
        if not isinstance(item, dict):
            raise MatcherError(f"{at} must be a path string or {{ source, has?, missing?, locale? }}")
        if unknown := sorted(set(item) - {"source", "has", "missing", "locale"}):
            raise MatcherError(f"{at} has unknown key(s) {', '.join(map(repr, unknown))}")
        source = item.get("source")
        if not isinstance(source, str) or not source.startswith("/"):
            raise MatcherError(f"{at}.source must be a string starting with '/', got {source!r}")
        if len(source) > MAX_SOURCE:
            raise MatcherError(f"{at}.source is longer than {MAX_SOURCE} characters")
        if "locale" in item and item["locale"] is not False:
            raise MatcherError(f"{at}.locale can only be false")
        item["has"] = _check_has(item.get("has", []), f"{at}.has")
        item["missing"] = _check_has(item.get("missing", []), f"{at}.missing")
        out.append(item)
    return out


# -- path-to-regexp v6 -----------------------------------------------------------------------------


def _escape(text: str) -> str:
    return re.sub(r"([.+*?=^!:${}()\[\]|/\\])", r"\\\1", text)


def _lex(path: str) -> list[tuple[str, str, int]]:
    tokens, i = [], 0
    while i < len(path):
        char = path[i]
        if char in "*+?":
            tokens.append(("MODIFIER", char, i))
            i += 1
        elif char == "\\":
            tokens.append(("ESCAPED_CHAR", path[i + 1 : i + 2], i))
            i += 2
        elif char in "{}":
            tokens.append(("OPEN" if char == "{" else "CLOSE", char, i))
            i += 1
        elif char == ":":
            name = re.match(r"\w*", path[i + 1 :], re.ASCII).group()
            if not name:
                raise MatcherError(f"Missing parameter name at {i}")
            tokens.append(("NAME", name, i))
            i += 1 + len(name)
        elif char == "(":
            j, depth, pattern = i + 1, 1, ""
            if path[j : j + 1] == "?":
                raise MatcherError(f'Pattern cannot start with "?" at {j}')
            while j < len(path):
                if path[j] == "\\":
                    pattern += path[j : j + 2]
                    j += 2
                    continue
                if path[j] == ")":
                    depth -= 1
                    if depth == 0:
                        j += 1
                        break
                elif path[j] == "(":
                    depth += 1
                    if path[j + 1 : j + 2] != "?":
                        raise MatcherError(f"Capturing groups are not allowed at {j}")
                pattern += path[j]
                j += 1
            if depth:
                raise MatcherError(f"Unbalanced pattern at {i}")
            if not pattern:
                raise MatcherError(f"Missing pattern at {i}")
            tokens.append(("PATTERN", pattern, i))
            i = j
        else:
            tokens.append(("CHAR", char, i))
            i += 1
    tokens.append(("END", "", i))
    return tokens


def _parse(path: str) -> list[str | dict]:
    """path-to-regexp's token list: literal text, and parameters with prefix, pattern and modifier."""
    tokens, result, position, key, text = _lex(path), [], 0, 0, ""

    def take(kind: str) -> str | None:
        nonlocal position
        if tokens[position][0] == kind:
            position += 1
            return tokens[position - 1][1]
        return None

    def must(kind: str) -> str:
        value = take(kind)
        if value is None:
            found, _, at = tokens[position]
            raise MatcherError(f"Unexpected {found} at {at}, expected {kind}")
        return value

    def text_run() -> str:
        out = ""
        while (value := take("CHAR") or take("ESCAPED_CHAR")) is not None:
            out += value
        return out

    def safe_pattern(prefix: str) -> str:
        previous = result[-1] if result else None
        before = prefix or (previous if isinstance(previous, str) else "")
        if previous is not None and not before:
            raise MatcherError(f'Must have text between two parameters, missing text after "{previous["name"]}"')
        if not before or any(c in before for c in _DELIMITER):
            return f"[^{_escape(_DELIMITER)}]+?"
        return f"(?:(?!{_escape(before)})[^{_escape(_DELIMITER)}])+?"

    while position < len(tokens):
        char, name, pattern = take("CHAR"), take("NAME"), take("PATTERN")
        if name is not None or pattern is not None:
            prefix = char or ""
            if prefix not in _PREFIXES:
                text, prefix = text + prefix, ""
            if text:
                result.append(text)
                text = ""
            param_name = name if name is not None else key
            key += name is None
            result.append(
                {
                    "name": param_name,
                    "prefix": prefix,
                    "suffix": "",
                    "pattern": pattern or safe_pattern(prefix),
                    "modifier": take("MODIFIER") or "",
                }
            )
            continue
        value = char if char is not None else take("ESCAPED_CHAR")
        if value is not None:
            text += value
            continue
        if text:
            result.append(text)
            text = ""
        if take("OPEN") is not None:
            prefix, name, pattern = text_run(), take("NAME") or "", take("PATTERN") or ""
            suffix = text_run()
            must("CLOSE")
            param_name = name or (key if pattern else "")
            key += bool(pattern) and not name
            result.append(
                {
                    "name": param_name,
                    "prefix": prefix,
                    "suffix": suffix,
                    "pattern": safe_pattern(prefix) if name and not pattern else pattern,
                    "modifier": take("MODIFIER") or "",
                }
            )
            continue
        must("END")
    return result


def to_regex(path: str) -> str:
    """The regex source path-to-regexp v6 gives ``path`` with its defaults (not strict, anchored at both ends)."""
    route = "^"
    for token in _parse(path):
        if isinstance(token, str):
            route += _escape(token)
            continue
        prefix, suffix, pattern, modifier = (
            _escape(token["prefix"]),
            _escape(token["suffix"]),
            token["pattern"],
            token["modifier"],
        )
        if not pattern:
            route += f"(?:{prefix}{suffix}){modifier}"
        elif prefix or suffix or modifier in ("+", "*"):
            # path-to-regexp 6.3 refuses to repeat a parameter without a prefix or suffix; Next then gives it the
            # prefix "/" (its route-pattern-normalizer): "/x-:y*" matches "/x-/a", never "/x-a".
            prefix = prefix or "\\/"
            if modifier in ("+", "*"):
                optional = "?" if modifier == "*" else ""
                route += f"(?:{prefix}((?:{pattern})(?:{suffix}{prefix}(?:{pattern}))*){suffix}){optional}"
            else:
                route += f"(?:{prefix}({pattern}){suffix}){modifier}"
        else:
            route += f"({pattern}){modifier}"
    return route + f"[{_escape(_DELIMITER)}]?$"


#: The transport suffixes of App Router requests (``.rsc``, a segment prefetch), which Next's matchers also accept.
_TRANSPORT = "\\.rsc|\\.segments/.+\\.segment\\.rsc"


def next_source(source: str) -> str:
    """``source`` with the affixes Next adds: an optional ``/_next/data/<build id>`` prefix and an optional ``.json``
    or transport suffix (``/index`` and its forms for ``/``)."""
    suffix = f"(/?index|/?index\\.json|/?index(?:{_TRANSPORT}))?" if source == "/" else f"{{(\\.json|{_TRANSPORT})}}?"
    return f"/:nextData(_next/data/[^/]{{1,}})?{source}{suffix}"


# -- reading a middleware file -------------------------------------------------------------------


def read_config(source: str, path: str) -> dict[str, Node]:
    """The ``config`` object's properties as syntax nodes ({} when there is no config)."""
    config = exported_consts(parse(source, path)).get("config")
    if config is None:
        return {}
    while config.type in ("satisfies_expression", "as_expression", "parenthesized_expression"):
        config = config.named_children[0]
    if config.type != "object":
        raise MatcherError("`config` must be an object literal", config)
    found = {}
    for pair in config.named_children:
        if pair.type == "pair":
            key = pair.child_by_field_name("key")
            found[literal(key) if key.type == "string" else key.text.decode()] = pair.child_by_field_name("value")
        elif pair.type != "comment":
            raise MatcherError("only plain `key: value` properties can be read at build time", pair)
    return found


def compile_matchers(source: str, path: str) -> list[Matcher] | None:
    """The matchers of a middleware/proxy file; ``None`` means it runs for every path (no matcher)."""
    node = read_config(source, path).get("matcher")
    if node is None:
        return None
    try:
        return [
            Matcher(entry["source"], _regex_of(entry["source"]), entry["has"], entry["missing"])
            for entry in _entries(literal(node))
        ]
    except MatcherError as error:
        error.node = error.node or node
        raise


@lru_cache(maxsize=256)
def _regex_of(source: str) -> str:
    """A matcher source's regex; kept, as a middleware is redeployed with the same matchers again and again."""
    _parse(source)  # parsed alone first, so error positions are in the user's own text
    return to_regex(next_source(source))


def matcher_problem(error: MatcherError, path: str, source: str) -> Problem:
    """The deploy-time problem for a config Next would refuse, pointing at the offending node."""
    line = column = None
    if error.node is not None:
        line, column = error.node.start_point[0] + 1, error.node.start_point[1] + 1
    message = f"Invalid `config` in {path}: {error} (see {_DOCS})"
    return Problem(path, message, line, column, "InvalidConfig", code_frame(source, line, column))
