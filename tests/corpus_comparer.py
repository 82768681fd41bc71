"""The Next.js conformance corpus (``tests/corpus``, mirrored by ``scripts/sync_corpus.py``) and its comparer."""

import importlib.util
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"


def _load_comparer():
    spec = importlib.util.spec_from_file_location("nbruntime_conformance_compare", CORPUS / "compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _load_comparer()
