"""Watch events and the per-client streams that carry them.

Each committed change becomes one `Event` whose object is serialised once; every watcher shares
those bytes. A watcher's filter turns the event into what upstream's watch cache would send:
an object entering its selector arrives as ADDED, one leaving it as DELETED.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from kstellar_tui.sandbox.apiserver.objectfilter import ObjectFilter
from kstellar_tui.sandbox.apiserver.resources import ResourceType

ADDED, MODIFIED, DELETED, BOOKMARK, ERROR = "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"


def event_line(event_type: str, data: bytes) -> bytes:
    """One line of a watch stream: `{"type": ..., "object": ...}` and a newline."""
    return b'{"type":"' + event_type.encode() + b'","object":' + data + b"}\n"


class Event:
    """One committed change: the object after it (and before it, for MODIFIED), serialised once.

    Events keep bytes, not dicts: thousands of retained dict trees (the history, a burst of
    writes waiting for their commit) would make every garbage collection walk them. A filtered
    watch decodes the objects when it needs them; `forget` drops that decoded copy again."""

    __slots__ = ("rv", "type", "key", "namespace", "name", "api_version", "data", "old_data", "line", "_obj", "_old")

    def __init__(self, rv: int, event_type: str, key: tuple[str, str], obj: dict, data: bytes,
                 old_data: bytes | None = None) -> None:
        self.rv = rv
        self.type = event_type
        self.key = key
        meta = obj["metadata"]
        self.namespace = meta.get("namespace", "")
        self.name = meta["name"]
        self.api_version = obj.get("apiVersion")
        self.data = data
        self.old_data = old_data
        self.line = event_line(event_type, data)
        self._obj: dict | None = None
        self._old: dict | None = None

    @property
    def obj(self) -> dict:
        if self._obj is None:
            self._obj = orjson.loads(self.data)
        return self._obj

    @property
    def old(self) -> dict | None:
        if self._old is None and self.old_data is not None:
            self._old = orjson.loads(self.old_data)
        return self._old

    def forget(self) -> None:
        self._obj = self._old = None


class Watch:
    """The events one client asked for, buffered until its connection takes them.

    A client that falls `max_pending` events behind is cut off, as upstream cuts off slow
    watchers; it re-watches from the last resourceVersion it saw.
    """

    def __init__(self, rt: ResourceType, flt: ObjectFilter, *, max_pending: int,
                 on_close: Callable[[Watch], None], render: Callable[[dict], dict] | None = None,
                 after: int = 0) -> None:
        self.rt = rt
        self._after = after  # events up to this resourceVersion were already sent or listed
        self.filter = flt
        self._render = render  # e.g. a Table per event for `kubectl get --watch`
        self._max_pending = max_pending
        self._on_close = on_close
        self._lines: list[bytes] = []
        self._wakeup = asyncio.Event()
        self.closed = False

    # -- producer side (the store) ----------------------------------------------------------
    def initial(self, obj: dict, data: bytes) -> None:
        """A synthetic ADDED for an object that existed when the watch started."""
        if self.filter.matches(obj):
            self._push(event_line(ADDED, self._encode(obj, data)))

    def offer(self, event: Event) -> None:
        """Send what this watcher should see of `event`, if anything."""
        if event.rv <= self._after:
            return
        flt = self.filter
        if flt.namespace_only:  # a namespace never changes, so nothing enters or leaves
            if flt.namespace is not None and event.namespace != flt.namespace:
                return
            now = before = True
            obj = None
        else:
            obj = event.obj
            now = flt.matches(obj)
            old = event.old if event.type == MODIFIED else None
            before = flt.matches(old) if old is not None else now
        if now and before:
            shared = self._render is None and event.api_version == self.rt.api_version
            self._push(event.line if shared else event_line(event.type, self._encode(obj or event.obj)))
        elif now:
            self._push(event_line(ADDED, self._encode(obj)))
        elif before:
            # Upstream sends the object's previous state, stamped with the event's resourceVersion.
            gone = {**old, "metadata": {**old["metadata"], "resourceVersion": str(event.rv)}}
            self._push(event_line(DELETED, self._encode(gone)))

    def bookmark(self, resource_version: int, annotations: dict[str, str] | None = None) -> None:
        """Tell the client it has seen everything up to `resource_version`."""
        meta: dict[str, Any] = {"resourceVersion": str(resource_version)}
        if annotations:
            meta["annotations"] = annotations
        obj = {"kind": self.rt.kind, "apiVersion": self.rt.api_version, "metadata": meta}
        self._push(event_line(BOOKMARK, orjson.dumps(obj)))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._wakeup.set()
            self._on_close(self)

    # -- consumer side (the HTTP handler) ---------------------------------------------------
    @property
    def pending(self) -> bool:
        return bool(self._lines)

    async def next_batch(self, timeout: float) -> list[bytes] | None:
        """Every line ready now (waiting up to `timeout` for one); [] on timeout, None once closed."""
        if not self._lines and not self.closed:
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            except TimeoutError:
                return []
        if self._lines:
            lines, self._lines = self._lines, []
            return lines
        return None

    # -- helpers ----------------------------------------------------------------------------
    def _push(self, line: bytes) -> None:
        if self.closed:
            return
        self._lines.append(line)
        if len(self._lines) > self._max_pending:
            self._lines.clear()
            self.close()
        self._wakeup.set()

    def _encode(self, obj: dict, data: bytes | None = None) -> bytes:
        """The object as this watcher sees it: `data` (already serialised) when it fits."""
        if self._render is not None:
            return orjson.dumps(self._render(as_version(obj, self.rt)))
        if data is not None and obj.get("apiVersion") == self.rt.api_version:
            return data
        return orjson.dumps(as_version(obj, self.rt))


def as_version(obj: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    """`obj` as served at `rt`'s version: versions of one resource differ only in apiVersion here."""
    if obj.get("apiVersion") == rt.api_version:
        return obj
    return {**obj, "apiVersion": rt.api_version}
