"""List+watch loops that stream raw JSON over the official client's transport.

The official `Watch` builds a model per event (~320 µs); reading the chunked body ourselves and
decoding each line with orjson costs ~20 µs, which is what lets one process follow hundreds of
clusters. Each loop's thread makes the requests; the bodies of its watches are read by the shared
`StreamHub` thread and split into event lines there, and the sink's owner decodes them on its own
thread, so that hundreds of streams add no CPU-bound threads to contend for the GIL.

The loop follows the Kubernetes watch contract the way client-go's reflector does: paginated
list, watch from its resourceVersion with bookmarks, re-watch when the server ends the stream,
re-list on 410 Expired, capped exponential backoff with jitter on failures, and a read timeout
(kept by the hub) so a silently dead connection is noticed."""

from __future__ import annotations

import enum
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from kstellar_tui.core.kube.rest import ApiStatusError, Expired, api_path, raise_for_status, send, status_error
from kstellar_tui.core.kube.stream_hub import Stream, StreamHub, shared_hub


class ConnState(enum.Enum):
    CONNECTING = "connecting"
    SYNCING = "syncing"
    SYNCED = "synced"
    STALE = "stale"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Resource:
    """A collection to watch; `namespace=None` means all namespaces (or a cluster-scoped kind)."""

    group: str
    version: str
    plural: str
    namespace: str | None = None

    @property
    def path(self) -> str:
        return api_path(self.group, self.version, self.plural, self.namespace)

    def __str__(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


class Sink(Protocol):
    """Where a loop delivers what it learns: `events` from the stream hub's thread, the rest from the
    loop's; never two calls for one loop at once, and always in the order things happened."""

    def page(self, resource: Resource, objects: list[dict], first: bool, last: bool) -> None:
        """One page of a (re)list, in order: `first` starts the full current set, and once the
        `last` page came, anything no page of this list held is gone. A list that fails midway is
        started again from its first page. May block: that is how a sink that is behind holds
        the lists back (see LIST_CONCURRENCY)."""

    def events(self, resource: Resource, lines: list[bytes]) -> None:
        """ADDED, MODIFIED or DELETED events, in order, as JSON lines: what one socket read brought.

        Decode them with `decode_events`, on the thread that applies them: decoded objects that
        wait in a queue cost memory and garbage-collector time, and a decoding reader thread would
        contend for the GIL with the applying one. Batches, not single events, cross threads: a
        hand-off per event would pass the GIL back and forth thousands of times a second."""

    def state(self, resource: Resource, state: ConnState, detail: str, since: float | None) -> None:
        """Connection state changed; `since` is the wall-clock start of an outage."""


# Loops reading and decoding a list page's body at once, process-wide. At 200 WECs every loop lists
# at start; unthrottled, each held a decoded page while the sink caught up, which took gigabytes.
LIST_CONCURRENCY = 4
_LIST_GATE = threading.BoundedSemaphore(LIST_CONCURRENCY)


# The longest wait between retries. The monitor must show a cluster back within 5 s of an outage
# ending (issue 9), however long it lasted; with a 30 s cap a WEC back after a minute stayed
# "stale" for up to 30 s. Retrying a dead cluster every 2-4 s costs one refused connect per loop.
RETRY_CAP = 4.0


class Backoff:
    """Capped exponential backoff with full jitter on the upper half, reset after a good sync."""

    def __init__(self, base: float = 0.2, cap: float = RETRY_CAP, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self.failures = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        delay = min(self.cap, self.base * 2 ** self.failures)
        self.failures += 1
        return delay / 2 + self._rng.random() * delay / 2

    def reset(self) -> None:
        self.failures = 0


class ListWatch:
    """One list+watch loop for one (cluster, resource); `run()` blocks until `stop()`."""

    def __init__(
        self,
        client: Any,
        resource: Resource,
        sink: Sink,
        *,
        label_selector: str | None = None,
        page_size: int = 500,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        watch_timeout: int = 300,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        hub: StreamHub | None = None,
        list_gate: threading.Semaphore | None = None,
    ):
        self.client = client
        self.resource = resource
        self.sink = sink
        self.label_selector = label_selector
        self.page_size = page_size
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.watch_timeout = watch_timeout
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.hub = hub or shared_hub()
        self.list_gate = list_gate or _LIST_GATE
        self.resource_version: str | None = None
        self._stop = threading.Event()
        self._response: Any = None
        self._stream: Stream | None = None
        self._partial: list[bytes] = []  # the start of a line whose end has not arrived
        self._newest: bytes | None = None  # the latest line with a resourceVersion: see _catch_up
        self._state: ConnState | None = None
        self._outage_since: float | None = None

    # -- control -----------------------------------------------------------------------------
    def stop(self) -> None:
        """Ends `run()` promptly: ends the watch stream, or interrupts a blocked list read."""
        self._stop.set()
        stream = self._stream
        if stream is not None:
            stream.cancel()
            return
        response = self._response
        if response is not None:
            try:
                response.shutdown()
            except Exception:  # already released or closed: nothing left to interrupt
                response.close()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        self._set_state(ConnState.CONNECTING, "")
        while not self.stopped:
            try:
                if self.resource_version is None:
                    self._list()
                self._watch()
            except Expired:
                self.resource_version = None
            except Exception as exc:  # transport errors, server failures, bad bytes: all retried
                if self.stopped:
                    break
                self._failed(exc)
                self._stop.wait(self.backoff.next())

    # -- the two halves ----------------------------------------------------------------------
    def _list(self) -> None:
        if self._state is not ConnState.SYNCED:
            self._set_state(ConnState.SYNCING, "")
        token = ""
        first = True
        while True:
            query = [("limit", str(self.page_size))]
            if token:
                query.append(("continue", token))
            if self.label_selector:
                query.append(("labelSelector", self.label_selector))
            response = self._get(query, self.read_timeout)  # outside the gate: a hung server holds no slot
            with self.list_gate:
                body = orjson.loads(response.read())
                meta = body.get("metadata") or {}
                token = meta.get("continue") or ""
                self.sink.page(self.resource, body.get("items") or [], first, not token)
            del body  # a page's objects are the sink's now: this thread holds none while it waits
            first = False
            if not token:
                break
        self.resource_version = meta.get("resourceVersion") or "0"
        self.backoff.reset()
        self._outage_since = None
        self._set_state(ConnState.SYNCED, "")

    def _watch(self) -> None:
        query = [
            ("watch", "true"),
            ("resourceVersion", self.resource_version or "0"),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(self.watch_timeout)),
        ]
        if self.label_selector:
            query.append(("labelSelector", self.label_selector))
        response = self._get(query, self.read_timeout)
        if self._state is not ConnState.SYNCED:
            self._outage_since = None
            self.backoff.reset()
            self._set_state(ConnState.SYNCED, "")
        raw = response.response
        self._partial = []
        try:
            stream = self.hub.attach(raw, self._consume, self.read_timeout)
            if stream is None:
                self._read_here(raw)
                return
            self._stream = stream
            if self.stopped:
                stream.cancel()
            stream.wait()
        finally:
            self._stream = self._response = None
            self._catch_up()

    def _read_here(self, raw: Any) -> None:
        """Read a body the hub cannot take over (see `StreamHub.attach`) on this thread."""
        try:
            for data in raw.stream(65536):
                if self.stopped:
                    return
                self._consume(data)
        finally:
            raw.release_conn()

    def _consume(self, data: bytes) -> None:
        """Split a watch body's bytes into event lines and deliver them as one batch.

        Lines in the apiserver's own shape pass undecoded; only errors and oddly formatted lines
        are decoded here, and bookmarks are just noted (see `_catch_up`)."""
        lines = data.split(b"\n")
        if len(lines) == 1:
            self._partial.append(data)
            return
        if self._partial:
            lines[0] = b"".join(self._partial) + lines[0]
        last = lines.pop()
        self._partial = [last] if last else []
        batch: list[bytes] = []
        newest = None
        try:
            for line in lines:
                if line.startswith(_EVENT_PREFIXES) and line.endswith(b"}"):
                    batch.append(line)
                    newest = line
                elif line.startswith(_BOOKMARK_PREFIX):
                    newest = line
                elif line and not line.isspace():
                    newest = self._odd_line(line, batch)
        finally:
            if newest is not None:
                self._newest = newest
            if batch:
                self.sink.events(self.resource, batch)

    def _odd_line(self, line: bytes, batch: list[bytes]) -> bytes:
        """Decode a line not in the usual shape: raise an ERROR event, keep an event, skip the rest."""
        event = orjson.loads(line)
        type_ = event.get("type") if isinstance(event, dict) else None
        if type_ == "ERROR":
            obj = event.get("object") or {}
            raise status_error(obj.get("code") or 500, obj.get("message") or "watch failed")
        if type_ in _EVENT_TYPES:
            batch.append(line)
        return line

    def _catch_up(self) -> None:
        """Resume from the newest resourceVersion the stream brought: one decode per watch, not
        one per event."""
        newest, self._newest = self._newest, None
        if newest is None:
            return
        try:
            version = orjson.loads(newest)["object"]["metadata"]["resourceVersion"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return  # not JSON after all: keep the version we had; at worst some events come again
        if version:
            self.resource_version = version

    # -- plumbing ----------------------------------------------------------------------------
    def _get(self, query: list[tuple[str, str]], read_timeout: float) -> Any:
        response = send(self.client, "GET", self.resource.path, query=query,
                        timeout=(self.connect_timeout, read_timeout))
        self._response = response.response
        if self.stopped:
            raise _Stopped()
        raise_for_status(response)
        return response

    def _failed(self, exc: Exception) -> None:
        now = self.clock()
        if self._outage_since is None:
            self._outage_since = now
        detail = describe_failure(exc)
        was_synced = self._state is ConnState.SYNCED and self.backoff.failures == 0
        self._set_state(ConnState.STALE if was_synced else ConnState.OFFLINE, detail)

    def _set_state(self, state: ConnState, detail: str) -> None:
        if state is not self._state or state in (ConnState.STALE, ConnState.OFFLINE):
            self._state = state
            self.sink.state(self.resource, state, detail, self._outage_since)


_EVENT_TYPES = ("ADDED", "MODIFIED", "DELETED")
_EVENT_PREFIXES = tuple(b'{"type":"%s",' % t.encode() for t in _EVENT_TYPES)  # kube-apiserver's encoding
_BOOKMARK_PREFIX = b'{"type":"BOOKMARK",'


def decode_events(lines: list[bytes]) -> list[tuple[str, dict]]:
    """The (type, object) pairs of the event lines a sink received.

    The loop checked each line's shape, not all of its JSON: a line that still fails to decode (no
    apiserver sends one) is skipped; the object's next event or re-list brings what it carried."""
    events = []
    loads = orjson.loads
    for line in lines:
        try:
            event = loads(line)
        except orjson.JSONDecodeError:
            continue
        events.append((event["type"], event.get("object") or {}))
    return events


# An event line as kube-apiserver writes it: Go's field order puts the object's kind, apiVersion (or,
# for custom resources, the sorted apiVersion, kind) and then metadata's name, generateName and
# namespace first. Names with escapes, or any other order, do not match and are decoded instead.
_HEAD = re.compile(
    rb'\{"type":"(ADDED|MODIFIED|DELETED)","object":\{(?:"kind":"([^"\\]*)","apiVersion":"[^"\\]*"'
    rb'|"apiVersion":"[^"\\]*","kind":"([^"\\]*)"),"metadata":\{"name":"([^"\\]*)"'
    rb'(?:,"generateName":"[^"\\]*")?(,"namespace":"([^"\\]*)")?[,}]')
_NAMESPACE_MEMBER = b'"namespace":'


def event_head(line: bytes) -> tuple[str, str, str, str] | None:
    """(type, kind, namespace, name) of an event line read from its first bytes, without decoding
    the object; None when the line is not in the apiserver's shape (decode it then).

    A line that names no namespace up front but mentions one anywhere is refused too: the namespace
    could be a later member of metadata, and a wrong key would file the object under another row."""
    match = _HEAD.match(line)
    if match is None:
        return None
    type_, kind, sorted_kind, name, has_namespace, namespace = match.groups()
    if has_namespace is None and _NAMESPACE_MEMBER in line:
        return None
    return (type_.decode(), (kind or sorted_kind).decode(), namespace.decode() if namespace else "",
            name.decode())


class _Stopped(Exception):
    """Raised inside the loop when stop() raced a request; never escapes run()."""


def describe_failure(exc: BaseException) -> str:
    """One line a user can act on, from the many shapes urllib3 and the server give failures."""
    if isinstance(exc, ApiStatusError):
        if exc.code == 401:
            return "unauthorized (401): the credentials in the kubeconfig were refused"
        if exc.code == 403:
            return f"forbidden (403): {exc}"
        return f"server error {exc.code}: {exc}"
    text = str(exc)
    name = type(exc).__name__
    if "Connection refused" in text:
        return "connection refused"
    if "ReadTimeout" in name or "Read timed out" in text or isinstance(exc, TimeoutError):
        return "no data within the read timeout (connection presumed dead)"
    if "ConnectTimeout" in name or "timed out" in text:
        return "connect timed out"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "host not found"
    if isinstance(exc, orjson.JSONDecodeError):
        return "the server sent malformed JSON"
    return f"{name}: {text}"[:200]
