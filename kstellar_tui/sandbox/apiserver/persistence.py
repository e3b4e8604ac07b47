"""SQLite durability for one cluster's objects: one file per cluster, one transaction per batch
of changes (the store groups the writes of one event-loop turn).

The API server commits before it answers, so a killed process loses nothing it acknowledged.
WAL mode with `synchronous=NORMAL` makes a commit durable against a crash of the process
(kill -9); only a power cut can lose the last commits, which a sandbox may accept.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    api_group TEXT NOT NULL,
    resource  TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name      TEXT NOT NULL,
    body      BLOB NOT NULL,
    PRIMARY KEY (api_group, resource, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

_PUT = "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?)"
_DELETE = "DELETE FROM objects WHERE api_group = ? AND resource = ? AND namespace = ? AND name = ?"
_SET_RV = "INSERT OR REPLACE INTO meta VALUES ('resourceVersion', ?)"

StoredRow = tuple[tuple[str, str], str, str, bytes]


class Database:
    """The objects of one cluster and its resourceVersion counter."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def resource_version(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'resourceVersion'").fetchone()
        return int(row[0]) if row else 0

    def buckets(self) -> Iterator[tuple[tuple[str, str], dict[tuple[str, str], bytes]]]:
        """Every resource's objects as ((group, resource), {(namespace, name): JSON body}): the
        fastest way to load a large cluster (no per-row group and resource strings)."""
        resources = self._conn.execute("SELECT DISTINCT api_group, resource FROM objects").fetchall()
        for group, resource in resources:
            cursor = self._conn.execute(
                "SELECT namespace, name, body FROM objects WHERE api_group = ? AND resource = ?", (group, resource))
            yield (group, resource), {(namespace, name): body for namespace, name, body in cursor}

    def rows(self) -> Iterator[StoredRow]:
        """Every stored object as ((group, resource), namespace, name, JSON body)."""
        cursor = self._conn.execute("SELECT api_group, resource, namespace, name, body FROM objects")
        for group, resource, namespace, name, body in cursor:
            yield (group, resource), namespace, name, body

    def write(self, changes: dict[tuple[tuple[str, str], str, str], bytes | None], rv: int) -> None:
        """Store (body) or delete (None) each ((group, resource), namespace, name), and the counter,
        in one transaction."""
        puts = [(*key, ns, name, body) for (key, ns, name), body in changes.items() if body is not None]
        deletes = [(*key, ns, name) for (key, ns, name), body in changes.items() if body is None]
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.executemany(_PUT, puts)
            conn.executemany(_DELETE, deletes)
            conn.execute(_SET_RV, (rv,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()


def remove_database(path: Path) -> None:
    """Delete a cluster's database with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class BulkLoad:
    """A new cluster database filled in one transaction without a journal: how a large fleet is
    seeded in seconds. A crash leaves a file to delete, never a state to recover, so the writes
    need no durability until `finish` commits them."""

    def __init__(self, path: Path) -> None:
        if path.exists():
            raise FileExistsError(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None)
        # Bodies of 1-2 kB overflow 4 kB pages (a WITHOUT ROWID table keeps ~1/20 of a page inline),
        # which doubles the file; 64 kB pages keep them inline.
        self._conn.execute("PRAGMA page_size=65536")
        self._conn.execute("PRAGMA cache_size=-262144")  # 256 MB: the B-tree of a large ITS stays in memory
        self._conn.execute("PRAGMA journal_mode=OFF")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.executescript(SCHEMA)
        self._conn.execute("BEGIN")

    def add(self, rows: Iterable[StoredRow]) -> None:
        """Store each ((group, resource), namespace, name, JSON body); faster in key order."""
        self._conn.executemany(_PUT, ((*key, ns, name, body) for key, ns, name, body in rows))

    def finish(self, rv: int) -> None:
        """Commit with the cluster's resourceVersion counter; the file then opens in WAL mode as any other."""
        self._conn.execute(_SET_RV, (rv,))
        self._conn.execute("COMMIT")
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.close()
