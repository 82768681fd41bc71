"""The code stays ruff clean (the project's lint rules live in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path


def test_ruff_finds_nothing():
    root = Path(__file__).parents[1]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "nbruntime", "tests", "bench"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
