"""`apply` refuses option combinations that cannot mean anything, before touching any cluster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.sandbox._helpers import REPO_ROOT


@pytest.mark.parametrize("extra,message", [
    (["--read-only"], "read-only mode: refusing to change the WDS"),
    (["--watch", "--dry-run"], "--dry-run cannot be combined with --watch or --prune"),
    (["--prune", "--continue-on-error"], "--continue-on-error has no effect with --watch or --prune"),
    (["--watch", "-f", "."], "--watch and --prune take exactly one file or directory"),
])
def test_meaningless_combinations_are_refused(tmp_path: Path, extra: list[str], message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "kstellar_tui", "apply", "-f", str(tmp_path), *extra],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and message in done.stderr
