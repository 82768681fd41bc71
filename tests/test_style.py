"""The code stays ruff clean (the project's lint rules live in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path


def test_ruff_finds_nothing():
    root = Path(__file__).parents[1]
    folders = ["nbruntime", "tests", "bench", "scripts", "notebooks"]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *folders], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
