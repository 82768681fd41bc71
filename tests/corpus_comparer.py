"""The shared conformance corpus (beside the repository) and its comparer, loaded once for every test."""

import importlib.util
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance"


def _load_comparer():
    spec = importlib.util.spec_from_file_location("nbruntime_conformance_compare", SHARED / "compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _load_comparer()
