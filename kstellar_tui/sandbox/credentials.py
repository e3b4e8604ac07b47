"""The sandbox's bearer token and the one way its secret files are written.

Every secret file (token, keys, kubeconfig, sandbox.json) is created with mode 0600 from the start
and replaced atomically, so a reader never sees a half-written file and nobody else ever sees it.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from kstellar_tui.sandbox.statedir import StateDir


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` (mode 0600) through a temporary file, fsync and rename."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) with mode 0700 if missing, else take group and others' access
    away (a folder made beforehand, e.g. with `mkdir`, would let them read the secrets); return it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if _open_to_others(path):
        path.chmod(stat.S_IMODE(path.stat().st_mode) & 0o700)
    return path


def _open_to_others(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o077)


def read_token(state_dir: Path) -> str | None:
    """The token of the sandbox in `state_dir`, or None before its first start."""
    try:
        token = StateDir(state_dir).token.read_text().strip()
    except FileNotFoundError:
        return None
    return token or None


def load_or_create_token(state_dir: Path) -> str:
    """The sandbox's bearer token: made (random, 256 bits) at first start, reused afterwards, and
    replaced when its file was open to others, who may have read it."""
    token = read_token(state_dir)
    if token is None or _open_to_others(StateDir(state_dir).token):
        ensure_private_dir(state_dir)
        token = secrets.token_urlsafe(32)
        write_private_file(StateDir(state_dir).token, token.encode() + b"\n")
    return token
