"""ClusterStore: one virtual cluster's objects, its resourceVersion counter, history and watchers.

Every writer (the API server, the in-process controllers, the lifecycle rules) goes through the
same create/update/delete methods, so resourceVersions, watch events, persistence and validation
behave identically whoever writes.

Durability uses group commit: changes made in one turn of the event loop are written to SQLite in
one transaction by `flush()`, which runs at the end of that turn (or at the end of the write when
no loop runs). Watchers see a change only once it is on disk, and the API server flushes before it
answers, so nothing an HTTP client saw or was told can be lost by a crash. In-process subscribers
and readers see changes at once.

Stored objects are never mutated: every change stores a new dict. Callers get fresh copies from
`get`/`list`/`create`/`update`/`delete`; subscribers and `select` receive stored dicts, read-only.

Objects loaded from disk stay JSON bytes until something looks inside them, and the uid and owner
indexes are built on first use: a large fleet's store starts in the time it takes to read its
database and serves unfiltered lists without decoding an object (a decoded object costs about
four times its JSON in memory).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import logging
import secrets
import uuid
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

import orjson

from kstellar_tui.sandbox.apiserver import crdschema, errors, objectrules, validation
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.lifecycle import CRDS, Lifecycle
from kstellar_tui.sandbox.apiserver.objectfilter import LabelSelector, ObjectFilter
from kstellar_tui.sandbox.apiserver.objectrules import copy_of, kind_group
from kstellar_tui.sandbox.apiserver.persistence import Database
from kstellar_tui.sandbox.apiserver.registry import ResourceRegistry
from kstellar_tui.sandbox.apiserver.resources import ResourceType
from kstellar_tui.sandbox.apiserver.watch import ADDED, DELETED, MODIFIED, Event, Watch, as_version

log = logging.getLogger(__name__)

HISTORY_SIZE = 4096
MAX_WATCH_BACKLOG = 100_000
VALIDATED_METADATA = ("name", "generateName", "namespace", "labels", "annotations")
GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # upstream's: no vowels, no look-alikes

Entry = tuple[dict, bytes]  # a stored object and its JSON
Stored = Entry | bytes  # what a bucket holds: bytes alone until the object is first decoded
Ident = tuple[str, str]  # namespace ("" if cluster-scoped), name
Ref = tuple[tuple[str, str], str, str]  # (group, plural), namespace, name
Subscriber = Callable[[str, ResourceType, dict], None]
ListResult = tuple[list[dict], str, "str | None", "int | None"]


def metadata_of(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


class ClusterStore:
    """The state of one virtual cluster. Use it from one asyncio thread."""

    def __init__(self, name: str, registry: ResourceRegistry | None = None, *, database: Database | None = None,
                 history_size: int = HISTORY_SIZE, max_watch_backlog: int = MAX_WATCH_BACKLOG,
                 root_ca_pem: str = "") -> None:
        self.name = name
        self.registry = registry if registry is not None else ResourceRegistry()
        self.rv = 0
        self._db = database
        self._objects: dict[tuple[str, str], dict[Ident, Stored]] = {}
        self._sorted: dict[tuple[str, str], list[Ident]] = {}  # a bucket's keys in list order, until one comes or goes
        self._by_uid: dict[str, Ref] = {}
        self._dependents: dict[str, set[Ref]] = {}
        self._unindexed = False  # objects were loaded that _by_uid and _dependents do not know yet
        self._history: deque[Event] = deque(maxlen=history_size)
        self._oldest_servable = 0
        self._watchers: dict[tuple[str, str], set[Watch]] = {}
        self._max_backlog = max_watch_backlog
        self._subscribers: list[Subscriber] = []
        self._followups: deque[Callable[[], None]] = deque()
        self._writing = False
        self._unflushed: list[Event] = []
        self._flush_scheduled = False
        self._types_generation = -1
        self._types_by_key: dict[tuple[str, str], ResourceType] = {}
        self.lifecycle = Lifecycle(self, root_ca_pem=root_ca_pem)
        if database is not None:
            self._load(database)
        self._run(self.lifecycle.bootstrap)

    # ---------------------------------------------------------------- reads
    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        _, data = self.entry(rt, namespace, name)
        return as_version(orjson.loads(data), rt)

    def entry(self, rt: ResourceType, namespace: str | None, name: str) -> Entry:
        """The stored object and its JSON (read-only); ApiError 404 when absent."""
        found = _resolved(self._objects.get(rt.key, {}), (self._ns(rt, namespace), name))
        if found is None:
            raise errors.not_found(rt.group_resource, name, rt.group, rt.plural)
        return found

    def find(self, key: tuple[str, str], namespace: str, name: str) -> dict | None:
        """The stored object (read-only) or None: for rules that only need to look."""
        found = _resolved(self._objects.get(key, {}), (namespace, name))
        return found[0] if found else None

    def find_uid(self, uid: str) -> tuple[ResourceType, dict] | None:
        self._index()
        ref = self._by_uid.get(uid)
        if ref is None:
            return None
        obj = self.find(*ref)
        rt = self.type_for(ref[0])
        return (rt, obj) if obj is not None and rt is not None else None

    def dependents(self, owner_uid: str) -> list[tuple[ResourceType, dict]]:
        """Objects whose ownerReferences name `owner_uid` (read-only)."""
        self._index()
        found = []
        for key, namespace, name in sorted(self._dependents.get(owner_uid, ())):
            obj, rt = self.find(key, namespace, name), self.type_for(key)
            if obj is not None and rt is not None:
                found.append((rt, obj))
        return found

    def objects(self, key: tuple[str, str], namespace: str | None = None) -> list[dict]:
        """Stored objects of one resource (read-only), optionally in one namespace."""
        bucket = self._objects.get(key, {})
        return [_resolved(bucket, ident)[0] for ident in bucket if namespace is None or ident[0] == namespace]

    def objects_containing(self, key: tuple[str, str], needle: bytes) -> list[dict]:
        """Stored objects of one resource whose JSON contains `needle` (read-only): a scan for a
        rare field decodes only the objects that may have it."""
        bucket = self._objects.get(key, {})
        return [_resolved(bucket, ident)[0] for ident, stored in bucket.items()
                if needle in (stored if stored.__class__ is bytes else stored[1])]

    def select(self, rt: ResourceType, flt: ObjectFilter, *, limit: int | None = None,
               continue_token: str | None = None) -> tuple[list[Entry], str | None, int | None]:
        """Stored entries in (namespace, name) order, one page of them; the next page's token."""
        bucket = self._objects.get(rt.key, {})
        idents, token, remaining = self._page(rt.key, flt, limit, continue_token)
        return [_resolved(bucket, ident) for ident in idents], token, remaining

    def select_json(self, rt: ResourceType, flt: ObjectFilter, *, limit: int | None = None,
                    continue_token: str | None = None) -> tuple[list[bytes], str | None, int | None]:
        """`select` as the stored JSON of each object: a list filtered by namespace alone decodes nothing."""
        bucket = self._objects.get(rt.key, {})
        idents, token, remaining = self._page(rt.key, flt, limit, continue_token)
        return [_json_of(bucket[ident]) for ident in idents], token, remaining

    def _page(self, key: tuple[str, str], flt: ObjectFilter, limit: int | None,
              continue_token: str | None) -> tuple[list[Ident], str | None, int | None]:
        """The keys of one page: a namespace and a continue token are ranges of the sorted keys,
        so paging through N objects costs O(N), not O(N^2)."""
        keys = self._sorted_keys(key)
        lo, hi = 0, len(keys)
        if flt.namespace is not None:
            lo, hi = bisect_left(keys, (flt.namespace,)), bisect_left(keys, (flt.namespace + "\0",))
        list_rv = self.rv
        if continue_token:
            list_rv, *start = decode_continue(continue_token)
            lo = max(lo, bisect_right(keys, tuple(start)))
        if flt.namespace_only:
            end = hi if not limit else min(hi, lo + limit)
            page, rest = keys[lo:end], hi - end
        else:
            bucket = self._objects[key] if keys else {}
            matching = (ident for ident in islice(keys, lo, hi) if flt.matches(_resolved(bucket, ident)[0]))
            page = list(islice(matching, limit)) if limit else list(matching)
            rest = sum(1 for _ in matching) if limit else 0
        if not rest:
            return page, None, None
        return page, encode_continue(list_rv, *page[-1]), rest

    def _sorted_keys(self, key: tuple[str, str]) -> list[Ident]:
        keys = self._sorted.get(key)
        if keys is None:
            keys = self._sorted[key] = sorted(self._objects.get(key, ()))
        return keys

    def list(self, rt: ResourceType, namespace: str | None = None, label_selector: LabelSelector | None = None,
             field_selector: Iterable[tuple[str, str, str]] | None = None, limit: int | None = None,
             continue_token: str | None = None) -> ListResult:
        """(items, list resourceVersion, continue token, remaining item count); items are copies."""
        flt = ObjectFilter(namespace if rt.namespaced else None, label_selector, list(field_selector or ()))
        page, token, remaining = self.select(rt, flt, limit=limit, continue_token=continue_token)
        items = [as_version(orjson.loads(data), rt) for _, data in page]
        return items, str(list_version(self, continue_token)), token, remaining

    def keys(self) -> list[tuple[str, str]]:
        """The (group, plural) of every resource with stored objects."""
        return list(self._objects)

    def type_for(self, key: tuple[str, str]) -> ResourceType | None:
        """A served type for stored objects of `key` (the registry's first version of it)."""
        if self._types_generation != self.registry.generation:
            by_key: dict[tuple[str, str], ResourceType] = {}
            for rt in self.registry.types():
                by_key.setdefault(rt.key, rt)
            self._types_by_key, self._types_generation = by_key, self.registry.generation
        return self._types_by_key.get(key)

    # ---------------------------------------------------------------- writes
    def create(self, rt: ResourceType, obj: dict, *, dry_run: bool = False) -> dict:
        """Store a new object: uid, creationTimestamp, resourceVersion, generation; generateName."""
        return self._run(lambda: self._create(rt, copy_of(obj), dry_run))

    def update(self, rt: ResourceType, obj: dict, *, subresource: str | None = None, dry_run: bool = False) -> dict:
        """PUT semantics: optimistic concurrency on resourceVersion; a no-op changes nothing."""
        return self._run(lambda: self._update(rt, copy_of(obj), subresource, dry_run))

    def delete(self, rt: ResourceType, namespace: str | None, name: str, *, options: dict | None = None,
               dry_run: bool = False) -> dict:
        """Delete now, or mark for deletion while finalizers remain; returns the object's last state."""
        return self._run(lambda: self._delete(rt, self._ns(rt, namespace), name, options or {}, dry_run))

    def after_writes(self, action: Callable[..., None], *args: Any) -> None:
        """Run `action(*args)` once the current write (and everything it set off) is committed.

        How lifecycle rules chain writes without recursion: the whole cascade still finishes
        before the API call that caused it answers."""
        self._followups.append(functools.partial(action, *args))
        if not self._writing:
            self._run(lambda: None)

    # ---------------------------------------------------------------- watch
    def watch(self, rt: ResourceType, namespace: str | None, resource_version: str | None,
              label_selector: LabelSelector | None = None,
              field_selector: Iterable[tuple[str, str, str]] | None = None,
              bookmarks: bool = False, *, render: Callable[[dict], dict] | None = None) -> Watch:
        """Events after `resource_version` (none given or "0": the current objects as ADDED first).

        ApiError 410 when that resourceVersion is older than the history kept. `render` turns each
        object into what the client asked for instead (a Table)."""
        del bookmarks  # the server sends bookmarks; kept for the documented signature
        self.flush()  # a watch starts from what is on disk
        flt = ObjectFilter(namespace if rt.namespaced else None, label_selector, list(field_selector or ()))
        start = parse_resource_version(resource_version)
        if start is not None and start < self._oldest_servable:
            raise errors.gone(f"too old resource version: {start} ({self._oldest_servable})")
        if start is not None and start > self.rv:
            raise ApiError(504, "Timeout", f"Too large resource version: {start}, current: {self.rv}",
                           {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                            "retryAfterSeconds": 1})
        watch = Watch(rt, flt, max_pending=self._max_backlog, on_close=self._forget_watch, render=render,
                      after=self.rv if start is None else start)
        if start is None:
            for obj, data in self.select(rt, flt)[0]:
                watch.initial(obj, data)
        else:
            history = self._history
            skip = len(history) - (self.committed_rv - start) if history else 0
            for event in islice(history, max(skip, 0), None):
                if event.key == rt.key:
                    watch.offer(event)
        self._watchers.setdefault(rt.key, set()).add(watch)
        return watch

    @property
    def committed_rv(self) -> int:
        """The resourceVersion of the last change on disk (what bookmarks may promise)."""
        return self._unflushed[0].rv - 1 if self._unflushed else self.rv

    def flush(self) -> None:
        """Write pending changes in one transaction, then deliver their events to watchers."""
        self._flush_scheduled = False
        events = self._unflushed
        if not events:
            return
        if self._db is not None:
            # Only the last state of each object in the batch needs writing.
            self._db.write({(e.key, e.namespace, e.name): None if e.type == DELETED else e.data for e in events},
                           events[-1].rv)
        self._unflushed = []
        history = self._history
        for event in events:
            if len(history) == history.maxlen:
                self._oldest_servable = history[0].rv
            history.append(event)
            for watch in list(self._watchers.get(event.key, ())):
                watch.offer(event)
            event.forget()

    def watch_count(self, key: tuple[str, str] | None = None) -> int:
        """Open watches (of one resource, or all)."""
        keys = [key] if key is not None else list(self._watchers)
        return sum(len(self._watchers.get(k, ())) for k in keys)

    def close_watches(self, key: tuple[str, str] | None = None) -> int:
        """End open watches (of one resource, or all); returns how many were closed."""
        keys = [key] if key is not None else list(self._watchers)
        closing = [w for k in keys for w in list(self._watchers.get(k, ()))]
        for watch in closing:
            watch.close()
        return len(closing)

    def compact(self) -> None:
        """Forget all history: any watch from an older resourceVersion now gets 410 Expired."""
        self.flush()
        self._history.clear()
        self._oldest_servable = self.rv

    # ---------------------------------------------------------------- subscriptions
    def subscribe(self, callback: Subscriber) -> None:
        """`callback(event_type, rt, obj)` runs synchronously after each committed change."""
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def close(self) -> None:
        self.flush()
        self.close_watches()
        if self._db is not None:
            self._db.close()
            self._db = None

    # ---------------------------------------------------------------- internals
    def _run(self, action: Callable[[], Any]) -> Any:
        if self._writing:
            return action()
        self._writing = True
        try:
            return action()
        finally:
            try:
                while self._followups:
                    followup = self._followups.popleft()
                    try:
                        followup()
                    except ApiError as error:
                        log.debug("%s: follow-up write skipped: %s", self.name, error.message)
            finally:
                self._writing = False
                self._schedule_flush()

    def _schedule_flush(self) -> None:
        """Flush at the end of this loop turn, so a burst of writes shares one transaction."""
        if not self._unflushed or self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_scheduled = True
        loop.call_soon(self.flush)

    def _create(self, rt: ResourceType, obj: dict, dry_run: bool) -> dict:
        obj = objectrules.prepare_create(rt, obj)
        if not rt.builtin:
            obj = crdschema.prepare(rt, obj)
        meta = obj["metadata"]
        if not meta.get("name"):
            meta["name"] = self._generated_name(rt, meta)
        namespace, name = meta.get("namespace", ""), meta["name"]
        self._validate(rt, obj, None)
        self.lifecycle.admit_create(rt, obj)
        if (namespace, name) in self._objects.get(rt.key, {}):
            raise errors.already_exists(rt.group_resource, name, rt.group, rt.plural)
        if dry_run:
            return obj
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = objectrules.now_rfc3339()
        return self._commit(rt, ADDED, obj, None)

    def _validate(self, rt: ResourceType, obj: dict, old: dict | None, subresource: str | None = None) -> None:
        """422 Invalid naming every bad field; custom resources are checked against their schema."""
        causes = [*self._metadata_causes(rt, obj, old), *objectrules.finalizer_causes(obj, old)]
        if not rt.builtin:
            causes += crdschema.validate_custom_object(rt, obj, old=old, subresource=subresource)
        elif rt.key == CRDS:
            causes += crdschema.validate_crd(obj)
        causes = list(dict.fromkeys(causes))  # the name rule of CRDs is checked by both
        if causes:
            raise errors.invalid(kind_group(rt), obj["metadata"].get("name", ""), causes, rt.group, rt.kind)

    @staticmethod
    def _metadata_causes(rt: ResourceType, obj: dict, old: dict | None) -> list[tuple[str, str]]:
        """Name, namespace, labels and annotations checks; skipped when an update leaves them as
        they were (they passed when stored), which keeps status and spec updates cheap."""
        if old is not None and all(obj["metadata"].get(f) == old["metadata"].get(f) for f in VALIDATED_METADATA):
            return []
        return validation.validate_object(obj, rt)

    def _generated_name(self, rt: ResourceType, meta: dict) -> str:
        prefix = meta.get("generateName")
        if not prefix:
            raise errors.invalid(kind_group(rt), "", [
                ("metadata.name", "Required value: name or generateName is required")], rt.group, rt.kind)
        bucket = self._objects.get(rt.key, {})
        while True:
            name = prefix + "".join(secrets.choice(GENERATE_NAME_ALPHABET) for _ in range(5))
            if (meta.get("namespace", ""), name) not in bucket:
                return name

    def _update(self, rt: ResourceType, obj: dict, subresource: str | None, dry_run: bool) -> dict:
        meta = metadata_of(obj)
        name = meta.get("name") or ""
        current, _ = self.entry(rt, meta.get("namespace"), name)
        given = meta.get("resourceVersion")
        if given:
            if str(given) != current["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.group_resource, name, rt.group, rt.plural)
        elif not rt.builtin:
            raise errors.invalid(kind_group(rt), name, [
                ("metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")], rt.group, rt.kind)
        new = objectrules.prepare_update(rt, obj, current, subresource)
        if not rt.builtin:
            new = crdschema.prepare(rt, new)
        if new == current:
            return as_version(copy_of(current), rt)
        self._validate(rt, new, current, subresource)
        if dry_run:
            return new
        deleting = current["metadata"].get("deletionTimestamp")
        if deleting and not new["metadata"].get("finalizers") and self.lifecycle.ready_to_remove(rt, new):
            return self._commit(rt, DELETED, new, current)
        return self._commit(rt, MODIFIED, new, current)

    def _delete(self, rt: ResourceType, namespace: str, name: str, options: dict, dry_run: bool) -> dict:
        current, _ = self.entry(rt, namespace, name)
        objectrules.check_preconditions(rt, current, options.get("preconditions"))
        self.lifecycle.admit_delete(rt, current)
        policy = propagation_policy(options)
        marked = self.lifecycle.mark_for_deletion(rt, current, policy)
        if dry_run:
            return as_version(copy_of(marked or current), rt)
        if marked is None:
            return self._commit(rt, DELETED, copy_of(current), current)
        if marked == current:
            return as_version(copy_of(current), rt)
        return self._commit(rt, MODIFIED, marked, current)

    def _commit(self, rt: ResourceType, event_type: str, obj: dict, old: dict | None) -> dict:
        """Make one change visible in memory and queue it for disk and watchers. Returns a copy."""
        rv = self.rv + 1
        meta = obj["metadata"]
        meta["resourceVersion"] = str(rv)
        key, ident = rt.key, (meta.get("namespace", ""), meta["name"])
        data = orjson.dumps(obj)
        self.rv = rv
        bucket = self._objects.setdefault(key, {})
        old_data = _json_of(bucket[ident]) if old is not None else None
        relink = old is None or event_type == DELETED or (
            meta.get("ownerReferences") != old["metadata"].get("ownerReferences"))
        if relink:
            self._index()
        if old is None or event_type == DELETED:
            self._sorted.pop(key, None)
        if old is not None and relink:
            self._unlink(key, ident, old)
        if event_type == DELETED:
            del bucket[ident]
            if not bucket:
                del self._objects[key]
        else:
            bucket[ident] = (obj, data)
            if relink:
                self._link(key, ident, obj)
        self._unflushed.append(Event(rv, event_type, key, obj, data, old_data))
        for callback in list(self._subscribers):
            try:
                callback(event_type, rt, obj)
            except Exception:  # a broken controller must not break the API server
                log.exception("%s: subscriber failed on %s %s", self.name, event_type, rt.group_resource)
        self.lifecycle.committed(event_type, rt, obj, old)
        return as_version(orjson.loads(data), rt)

    def _link(self, key: tuple[str, str], ident: tuple[str, str], obj: dict) -> None:
        """Index an object by uid and by the uids of its owners."""
        meta, ref = obj["metadata"], (key, *ident)
        self._by_uid[meta["uid"]] = ref
        for owner in meta.get("ownerReferences") or ():
            if isinstance(owner, dict) and owner.get("uid"):
                self._dependents.setdefault(owner["uid"], set()).add(ref)

    def _unlink(self, key: tuple[str, str], ident: tuple[str, str], obj: dict) -> None:
        meta, ref = obj["metadata"], (key, *ident)
        self._by_uid.pop(meta.get("uid"), None)
        for owner in meta.get("ownerReferences") or ():
            dependents = self._dependents.get(owner.get("uid")) if isinstance(owner, dict) else None
            if dependents is not None:
                dependents.discard(ref)
                if not dependents:
                    del self._dependents[owner["uid"]]

    def _forget_watch(self, watch: Watch) -> None:
        watchers = self._watchers.get(watch.rt.key)
        if watchers is not None:
            watchers.discard(watch)

    def _index(self) -> None:
        """Index the objects loaded from disk by uid and owners (decoding them), once."""
        if not self._unindexed:
            return
        self._unindexed = False
        for key, bucket in self._objects.items():
            for ident in bucket:
                self._link(key, ident, _resolved(bucket, ident)[0])

    def _load(self, database: Database) -> None:
        self._objects = dict(database.buckets())
        self._unindexed = bool(self._objects)
        self.rv = self._oldest_servable = database.resource_version()
        self.lifecycle.restore()

    @staticmethod
    def _ns(rt: ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rt.namespaced else ""


def _resolved(bucket: dict[Ident, Stored], ident: Ident) -> Entry | None:
    """The entry at `ident`, decoding (once) an object that was only bytes so far."""
    found = bucket.get(ident)
    if found.__class__ is bytes:
        found = bucket[ident] = (orjson.loads(found), found)
    return found


def _json_of(stored: Stored) -> bytes:
    return stored if stored.__class__ is bytes else stored[1]


def propagation_policy(options: dict) -> str:
    policy = options.get("propagationPolicy")
    if policy:
        if policy not in ("Orphan", "Background", "Foreground"):
            raise errors.bad_request(f'invalid propagationPolicy "{policy}": must be Orphan, Background or Foreground')
        return policy
    if options.get("orphanDependents") is True:
        return "Orphan"
    return "Background"


def parse_resource_version(value: str | None) -> int | None:
    """None for "unset or 0" (start from the current state), else the integer."""
    if value in (None, "", "0"):
        return None
    try:
        rv = int(value)
    except ValueError:
        raise errors.bad_request(f"invalid resource version: {value}") from None
    if rv < 0:
        raise errors.bad_request(f"invalid resource version: {value}")
    return rv


def encode_continue(rv: int, namespace: str, name: str) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": [namespace, name]})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, str, str]:
    """(resourceVersion of the list's first page, namespace and name of the last key served)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = orjson.loads(raw)
        namespace, name = body["start"]
        return int(body["rv"]), str(namespace), str(name)
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                 "(version meta.k8s.io/v1)") from None


def list_version(store: ClusterStore, continue_token: str | None) -> int:
    """The resourceVersion a list page reports: its first page's, on every page, as kube-apiserver
    serves one snapshot; a client watches from it, so changes between pages reach it as events."""
    return decode_continue(continue_token)[0] if continue_token else store.rv
