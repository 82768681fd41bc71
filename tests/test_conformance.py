"""What real Next.js servers answered, replayed through nbruntime by the corpus's own comparer and rules.

Cases: ``tests/corpus/cases`` and ``cases-cache`` (Next 15.5), ``cases16`` (Next 16, run with ``App(next="16")``),
and our own recordings, made with the corpus's oracles: ``tests/conformance`` (15.5), ``tests/conformance16`` (16.4).
A case of ``conformance16`` that holds only ``observed.json`` is the 15.5 case of its name, as 16.4 answered it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from backend import origin_of, serving
from corpus_comparer import CORPUS, compare

import nbruntime

OWN = Path(__file__).parent


def _cases(folder: Path, next_version: str | None) -> list:
    return [
        pytest.param(case, next_version, id=f"{folder.name}/{case.name}")
        for case in sorted(folder.iterdir())
        if (case / "observed.json").exists()
    ]


@pytest.mark.parametrize(
    ("case", "next_version"),
    _cases(CORPUS / "cases", None)
    + _cases(CORPUS / "cases-cache", None)
    + _cases(CORPUS / "cases16", "16")
    + _cases(OWN / "conformance", None)
    + _cases(OWN / "conformance16", "16"),
)
def test_case_answers_like_nextjs(case: Path, next_version: str | None, monkeypatch, tmp_path) -> None:
    if not (case / "requests.json").exists():  # the app and requests of the 15.5 case of this name
        shutil.copytree(OWN / "conformance" / case.name, tmp_path / case.name)
        shutil.copy(case / "observed.json", tmp_path / case.name / "observed.json")
        case = tmp_path / case.name
    monkeypatch.setattr(compare, "NEXT", next_version)
    with serving(origin_of(case)):  # the other origin a case proxies to, if it names one
        result = compare.run_case(nbruntime, case, verbose=False)
    assert result["build_match"], f"build verdict differs: {result.get('build_message')}"
    failures = [f"{r['name']}: {r['why']}" for r in result["responses"] if not r["strict"]]
    assert not failures, "\n".join(failures)
