"""The pure-Python package type-checks against its own stub (mypy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pacekeeper


def test_mypy_on_the_package(tmp_path: Path) -> None:
    package = Path(pacekeeper.__file__).parent
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-error-summary", "-p", "pacekeeper"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (package / "py.typed").is_file()
