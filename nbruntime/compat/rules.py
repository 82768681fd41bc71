"""The rule table (rules.json) as Python values: one source for the analyzer, the realm and error notes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import Problem, code_frame

TABLE_PATH = Path(__file__).with_name("rules.json")


@dataclass(frozen=True)
class Rule:
    """One kind of incompatibility: how severe, when it bites, what it says and what to use instead."""

    id: str
    severity: str
    phase: str
    message: str
    hint: str
    hints: dict[str, str]
    dev: str
    link: str
    thrown: str = ""  # what the module or API throws when used, if that differs from the message

    def hint_for(self, api: str) -> str:
        return self.hints.get(api) or self.hints.get(api.removeprefix("node:"), self.hint)

    def problem(self, api: str, file: str, source: str, line: int, column: int, runtime: str = "edge") -> Problem:
        """The problem this rule reports for ``api`` at a place in a cell, with its code frame."""
        return Problem(
            file,
            self.message.replace("{api}", api),
            line,
            column,
            name=self.id,
            frame=code_frame(source, line, column),
            api=api,
            severity=self.severity,
            phase=self.phase,
            hint=self.hint_for(api),
            runtime=runtime,
            dev=self.dev,
        )


@cache
def table() -> dict:
    """The whole table, as the Node host reads it too."""
    return json.loads(TABLE_PATH.read_text())


@cache
def rules() -> dict[str, Rule]:
    """Every rule; a rule whose ``hints`` is a rule's id shares that rule's hints."""
    raw = table()["rules"]
    return {key: Rule(id=key, **{**value, "hints": raw[value["hints"]]["hints"] if isinstance(value["hints"], str)
                                else value["hints"]}) for key, value in raw.items()}


def explain(message: str) -> list[str]:
    """Notes for a run-time error the edge realm threw: what to use instead and how `next dev` differs."""
    for known in table()["runtime_errors"]:
        match = re.search(known["pattern"], message)
        if not match:
            continue
        api = match.groupdict().get("api") or known.get("api", "")
        rule = next((rules()[r] for r in known["rules"] if api in rules()[r].hints), rules()[known["rules"][0]])
        notes = [f"Use instead: {rule.hint_for(api)}"]
        if rule.dev:
            notes.append(f"next dev / build / start: {rule.dev}")
        return notes
    return []
