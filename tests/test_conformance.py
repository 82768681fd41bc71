"""What real Next.js servers answered, replayed through nbruntime by the shared comparer's own rules.

Cases: ``shared/conformance/cases`` (Next 15.5), ``cases16`` (Next 16, run with ``App(next="16")``) and our
own recordings, made with the shared oracles: ``tests/conformance`` (15.5) and ``tests/conformance16``
(16.4). One rule is added
to the README's: the app's folder reads as ``<app>``, as the oracle writes it (``process.cwd()`` there).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from shared_conformance import SHARED, compare

import nbruntime
from nbruntime.http import Headers

OWN = Path(__file__).parent


def _cases(folder: Path, next_version: str | None) -> list:
    return [
        pytest.param(case, next_version, id=f"{folder.name}/{case.name}")
        for case in sorted(folder.iterdir())
        if (case / "observed.json").exists()
    ]


class _AppFolders:
    """nbruntime as compare.py uses it, remembering each app's folder so it can read as ``<app>``."""

    BuildError = nbruntime.BuildError

    def __init__(self) -> None:
        self.folders: list[str] = []

    def App(self, **options):  # stands in for the nbruntime.App class
        app = nbruntime.App(**options)
        self.folders += [str(app.project_dir), str(app.project_dir.resolve())]
        return app

    def normalised(self, response):
        def clean(text: str) -> str:
            for folder in self.folders:
                text = text.replace(folder, "<app>")
            return text

        headers = Headers([(k, clean(v)) for k, v in response.headers.multi_items()])
        try:
            body = clean(response.body.decode()).encode()
        except UnicodeDecodeError:
            body = response.body
        return SimpleNamespace(status=response.status, headers=headers, body=body, chunks=response.chunks)


@pytest.mark.parametrize(
    ("case", "next_version"),
    _cases(SHARED / "cases", None)
    + _cases(SHARED / "cases16", "16")
    + _cases(OWN / "conformance", None)
    + _cases(OWN / "conformance16", "16"),
)
def test_case_answers_like_nextjs(case: Path, next_version: str | None, monkeypatch) -> None:
    shim = _AppFolders()
    original = compare.compare_response
    monkeypatch.setattr(compare, "NEXT", next_version)
    monkeypatch.setattr(compare, "compare_response", lambda expected, got: original(expected, shim.normalised(got)))
    result = compare.run_case(shim, case, verbose=False)
    assert result["build_match"], f"build verdict differs: {result.get('build_message')}"
    failures = [f"{r['name']}: {r['why']}" for r in result["responses"] if not r["strict"]]
    assert not failures, "\n".join(failures)
