"""Editor drafts that survive a crash or a quit until they are applied or discarded.

The editor calls `save` on every change (debounced by the caller); each save is an atomic,
owner-only (0600) write in `<state dir>/drafts`, so a crash mid-write leaves the previous draft
intact. On start the editor offers what `list()` returns. Names are the editor's own (a file
path, a template name, an object's key made of names read from a cluster); they are encoded so
any name maps to one file name inside the drafts folder: no `/`, `..` or NUL survives encoding, and
a name too long for a file name is shortened and made unique by its digest (`list()` then shows
the shortened name; `load`, `save` and `discard` still find it by the full one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from kstellar_tui import locations
from kstellar_tui.core.atomicfile import atomic_write

SUFFIX = ".draft"
MAX_FILE_NAME = 255  # bytes: the limit of ext4, xfs, btrfs, APFS


@dataclass(frozen=True)
class DraftInfo:
    name: str
    saved_at: float  # seconds since the epoch
    size: int


class Drafts:
    """save(name, text), list(), load(name), discard(name) over one directory."""

    def __init__(self, directory: Path | None = None):
        self.directory = directory or locations.drafts_dir()

    def _file(self, name: str) -> Path:
        if not name:
            raise ValueError("a draft needs a name")
        encoded = quote(name, safe="", errors="surrogatepass")  # ASCII: one byte a character
        if len(encoded) + len(SUFFIX) > MAX_FILE_NAME:
            digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
            encoded = f"{encoded[:MAX_FILE_NAME - len(SUFFIX) - len(digest) - 1]}~{digest}"
        return self.directory / (encoded + SUFFIX)

    def save(self, name: str, text: str) -> None:
        atomic_write(self._file(name), text)

    def load(self, name: str) -> str | None:
        try:
            return self._file(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def discard(self, name: str) -> None:
        self._file(name).unlink(missing_ok=True)

    def list(self) -> list[DraftInfo]:
        """Saved drafts, newest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob("*" + SUFFIX):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # discarded meanwhile
            found.append(DraftInfo(unquote(path.name[:-len(SUFFIX)]), stat.st_mtime, stat.st_size))
        return sorted(found, key=lambda d: d.saved_at, reverse=True)
