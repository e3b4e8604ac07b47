"""SQLite durability for one cluster's objects: one file per cluster, one transaction per batch
of changes (the store groups the writes of one event-loop turn).

The API server commits before it answers, so a killed process loses nothing it acknowledged.
WAL mode with `synchronous=NORMAL` makes a commit durable against a crash of the process
(kill -9); only a power cut can lose the last commits, which a sandbox may accept.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
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
