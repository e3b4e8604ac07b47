"""Write a file so that a crash leaves either the old content or the new, never half of either."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    """Write beside the target, fsync, then rename over it; the file is created with `mode` (private)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # at most ~120 bytes, so a target whose name is at the file system's limit (255 bytes) still works
    short = os.fsencode(path.name)[:100].decode(errors="ignore")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{short}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
