"""FleetStore: watch events in, one state per (workload, WEC) cell out.

A pure reducer — no I/O, no threads, no Textual — so the same code serves the headless `status`
command and the monitor's ingest process. Events only update indexes and mark cells dirty;
`drain()` recomputes each dirty cell once and returns what changed (a GridDiff), so a burst of
events about one Deployment costs one recomputation, not one per event.

Memory is kept per cell to a few small fields (health verdict, 16-byte drift digest): WEC copies,
ManifestWork manifests and WorkStatus bodies are reduced on arrival, never stored whole."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

import orjson

from kstellar_tui.core.fleet.drift import digest
from kstellar_tui.core.fleet.health import Health, assess_health
from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.core.kube.watch import ConnState, Resource, decode_events, event_head

POOL_LIMIT = 100_000  # distinct shared values FleetStore._same keeps
# Cells a drain recomputes for rows held back by a hub list: at 200 WECs all 400,000 at once took
# seconds and ~60 MB of tuples and diff at the store's fullest; in slices, ticks keep their pace.
REDO_CELLS = 40_000
MANIFESTWORK_LIMIT = 512000  # bytes; the OCM webhook refuses larger ManifestWorks
LABEL_VALUE_LIMIT = 63  # the BindingPolicy name becomes a label value on every ManifestWork

KS_GROUP = "control.kubestellar.io"
_WORST_CONNECTION = (ConnState.OFFLINE, ConnState.STALE, ConnState.CONNECTING, ConnState.SYNCING,
                     ConnState.SYNCED)
_OUTAGE = (ConnState.STALE, ConnState.OFFLINE)
_LISTING = (ConnState.CONNECTING, ConnState.SYNCING)
_HEALTH_STATE = {Health.READY: CellState.READY, Health.PROGRESSING: CellState.PROGRESSING,
                 Health.DEGRADED: CellState.DEGRADED}


class Cell(NamedTuple):
    """What a cell shows: delivery and health are kept apart (Argo CD's two axes)."""

    state: CellState
    delivery: str  # "", "pending", "delivered", "failed"
    health: str  # "", "ready", "progressing", "degraded", "missing", "unknown"
    message: str


BLANK = Cell(CellState.NOT_SELECTED, "", "", "")
_NO_FAILURES: Mapping[str, str] = MappingProxyType({})


StoreKey = str | tuple[str, str]  # see FleetStore._key


def row_key(group: str, resource: str, namespace: str, name: str) -> str:
    return f"{group}/{resource}/{namespace}/{name}"


@dataclass(slots=True)
class Workload:
    """A WDS object (or, once deleted there, what its ManifestWorks still say about it)."""

    key: str
    api_version: str
    kind: str
    namespace: str
    name: str
    labels: dict
    obj: dict | None = None  # the WDS object itself; None once deleted from the WDS
    digest: bytes = b""
    size: int = 0


@dataclass(slots=True)
class BindingInfo:
    entries: dict[str, bool]  # row key -> createOnly
    destinations: frozenset[str]


@dataclass(slots=True)
class WorkInfo:
    """A ManifestWork reduced to what cells need: which rows it carries and how applying went."""

    keys: tuple[str, ...]
    applied: str  # condition status "True"/"False"/"" (not reported yet)
    message: str
    failures: Mapping[str, str]  # row key -> per-manifest failure message
    binding: str


@dataclass(slots=True)
class ClusterInfo:
    labels: dict
    accepted: bool
    joined: str
    available: str
    available_reason: str


@dataclass(slots=True)
class Connection:
    state: ConnState
    detail: str
    since: float | None


@dataclass
class Counters:
    events: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class FleetStore:
    """The reducer. `wds`/`its` name the hub contexts; WEC sources are named after their cluster."""

    def __init__(self, wds: str = "wds1", its: str = "its1"):
        self.wds, self.its = wds, its
        self.workloads: dict[str, Workload] = {}
        self.policies: dict[str, dict] = {}
        self.bindings: dict[str, BindingInfo] = {}
        self.bound: dict[str, set[str]] = defaultdict(set)  # row key -> binding names
        self.clusters: dict[str, ClusterInfo] = {}
        self.namespaces: dict[str, dict] = {}  # WDS namespace -> labels
        self.works: dict[tuple[str, str], WorkInfo] = {}  # (cluster, work name)
        self.works_by_cell: dict[tuple[str, str], tuple[str, ...]] = {}  # (row, cluster) -> work names
        self.work_count: dict[str, int] = defaultdict(int)  # row key -> ManifestWorks carrying it
        self.reported: dict[tuple[str, str], tuple[Health, str]] = {}  # (cluster, key) from WorkStatus
        self._reported_by_name: dict[StoreKey, tuple[str, str]] = {}  # WorkStatus store key -> (cluster, key)
        # (cluster, key) on the WEC -> health, message and, for a Ready copy, its drift digest (b"" otherwise)
        self.copies: dict[tuple[str, str], tuple[Health, str, bytes]] = {}
        # The latest WEC copy per cell since the last settle(): an object, or its undecoded event line.
        self._unreduced: dict[tuple[str, str], dict | bytes] = {}
        self.connections: dict[str, dict[Resource, Connection]] = defaultdict(dict)
        self.kinds: dict[tuple[str, str], str] = {}  # (group, kind) -> resource plural
        self.counters = Counters()
        self.cells: dict[str, dict[str, Cell]] = {}
        self._last_known: dict[tuple[str, str], Cell] = {}  # during outages: the cell shown before
        self._pools: dict[str, dict] = defaultdict(dict)  # see _same()
        self._seen: dict[tuple[str, Resource], set[StoreKey]] = defaultdict(set)
        self._listing: dict[tuple[str, Resource], set[StoreKey]] = {}  # keys of a list's pages so far
        self._dirty_rows: set[str] = set()
        self._dirty_cells: set[tuple[str, str]] = set()
        self._dirty_columns: set[str] = set()
        self._columns_changed = True
        self._listed: set[tuple[str, Resource]] = set()  # watches that have completed a list once
        self._recompute_all = False  # cells were held back while a hub list was in its first pass
        self._redo_rows: set[str] = set()  # rows still to recompute after that, REDO_CELLS a drain

    # ------------------------------------------------------------------------------------------
    # Input
    def event(self, source: str, resource: Resource, type_: str, obj: dict) -> None:
        """One watch event from `source` (the WDS, the ITS, or a WEC, by context name)."""
        self.counters.events[source] += 1
        meta = obj.get("metadata") or {}
        key = self._key(source, resource, meta)
        seen = self._seen[(source, resource)]
        if type_ == "DELETED":
            seen.discard(key)
            self._remove(source, resource, key, obj)
        else:
            seen.add(key)
            self._upsert(source, resource, key, obj)

    def lines(self, source: str, resource: Resource, lines: list[bytes]) -> None:
        """Watch event lines as a loop delivered them (`Sink.events`), in order.

        A WEC copy is filed under the name its line starts with and decoded only in `settle()`:
        a workload rolling out sends many events a tick, and only the last one is worth decoding.
        Lines of other roles, and lines not in the apiserver's shape, are decoded here."""
        if self._role(source, resource) != "copy":
            for type_, obj in decode_events(lines):
                self.event(source, resource, type_, obj)
            return
        seen = self._seen[(source, resource)]
        group, plural = resource.group, resource.plural
        filed = 0
        for line in lines:
            head = event_head(line)
            if head is None:
                for type_, obj in decode_events([line]):
                    self.event(source, resource, type_, obj)
                continue
            type_, kind, namespace, name = head
            key = sys.intern(row_key(group, plural, namespace, name))
            filed += 1
            if type_ == "DELETED":
                seen.discard(key)
                self._drop_copy(source, key, {})
            else:
                seen.add(key)
                self.kinds[(group, kind)] = plural
                self._put_copy(source, key, line)
        self.counters.events[source] += filed

    def replace(self, source: str, resource: Resource, objects: list[dict]) -> None:
        """A (re)list in one piece: everything from this source and resource not in `objects` is gone."""
        self.page(source, resource, objects, first=True, last=True)

    def page(self, source: str, resource: Resource, objects: list[dict], first: bool, last: bool) -> None:
        """One page of a (re)list (`Sink.page`): applied as it comes, so a list of 2,000 objects per
        WEC is never held whole; once the last page came, whatever no page held is gone."""
        if first:
            self._listing[(source, resource)] = set()
        keep = self._listing.setdefault((source, resource), set())
        for obj in objects:
            key = self._key(source, resource, obj.get("metadata") or {})
            keep.add(key)
            self._upsert(source, resource, key, obj)
        if objects and self._unreduced:
            self.settle()  # listed copies are all different cells: nothing to coalesce by waiting
        if not last:
            return
        del self._listing[(source, resource)]
        for key in self._seen[(source, resource)] - keep:
            self._remove(source, resource, key, {"metadata": _meta_from_key(key)})
        self._seen[(source, resource)] = keep

    def connection(self, source: str, resource: Resource, state: ConnState, detail: str,
                   since: float | None) -> None:
        conns = self.connections[source]
        old = conns.get(resource)
        conns[resource] = Connection(state, detail, since)
        if old is not None and state not in _LISTING:
            self._first_list_ended(source, resource, old)
        if state is ConnState.SYNCED:
            self._listed.add((source, resource))
        # Cells read a WEC's connections only for whether it is watched at all and for outages: a
        # column of 2,000 cells is not recomputed for connecting → syncing → synced.
        if source not in (self.wds, self.its) and (old is None or state in _OUTAGE or old.state in _OUTAGE):
            self._dirty_columns.add(source)
        self._columns_changed = True

    def forget(self, source: str, resource: Resource) -> None:
        """A watch was stopped (its kind or cluster is no longer wanted): it neither holds cells
        back nor counts in the cluster's connection any more."""
        old = self.connections.get(source, {}).pop(resource, None)
        if old is not None:
            self._first_list_ended(source, resource, old)
            self._columns_changed = True
        self._listed.discard((source, resource))  # a watch started again lists anew

    def _first_list_ended(self, source: str, resource: Resource, old: Connection) -> None:
        """A WEC column held back by this watch's first list (see `_held`) is computed now (cells
        held back by a hub list are, by drain(), once no hub list holds them)."""
        if source not in (self.wds, self.its) and old.state in _LISTING and (source, resource) not in self._listed:
            self._dirty_columns.add(source)

    def _held(self) -> frozenset[str] | None:
        """What drain() leaves for later: None for every cell, while a list of the hub's own objects
        (ITS, Bindings, BindingPolicies) is in its first pass; else the WEC columns one of whose
        watches is. Until a list has been read once, its cells would only pass through states the
        fleet is not in ("no ManifestWork yet", "missing" for copies not listed yet), each costing a
        computation per page: at 200 WECs the initial sync computed every cell about five times. A
        cell is computed once the lists it reads are in. The WDS's workload kinds hold nothing: cells
        read them only for drift, and a kind bound later must not hold the whole grid."""
        held = set()
        for source, conns in self.connections.items():
            for resource, conn in conns.items():
                if conn.state not in _LISTING or (source, resource) in self._listed:
                    continue
                if source not in (self.wds, self.its):
                    held.add(source)
                elif self._role(source, resource) != "workload":
                    return None
        return frozenset(held)

    # ------------------------------------------------------------------------------------------
    # Indexing
    def _key(self, source: str, resource: Resource, meta: Mapping) -> StoreKey:
        """Workloads and their copies: the row key, interned (the copies of one workload on hundreds
        of WECs share one string). Hub objects: (namespace, name), whose tuple is shared by the
        indexes of a ManifestWork or WorkStatus (there are two of those per cell)."""
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        if self._role(source, resource) in ("workload", "copy"):
            return sys.intern(row_key(resource.group, resource.plural, namespace, name))
        return (sys.intern(namespace), name)

    def _role(self, source: str, resource: Resource) -> str:
        if source == self.wds:
            if resource.group == KS_GROUP and resource.plural in ("bindingpolicies", "bindings"):
                return resource.plural
            return "workload"
        if source == self.its:
            return resource.plural if resource.plural in ("managedclusters", "manifestworks",
                                                          "workstatuses") else "ignored"
        return "copy"

    def _upsert(self, source: str, resource: Resource, key: StoreKey, obj: dict) -> None:
        kind = obj.get("kind")
        if kind:
            self.kinds[(resource.group, kind)] = resource.plural
        getattr(self, f"_put_{self._role(source, resource)}")(source, key, obj)

    def _remove(self, source: str, resource: Resource, key: StoreKey, obj: dict) -> None:
        getattr(self, f"_drop_{self._role(source, resource)}")(source, key, obj)

    def _put_ignored(self, source: str, key: StoreKey, obj: dict) -> None:
        pass

    _drop_ignored = _put_ignored

    def _put_workload(self, source: str, key: str, obj: dict) -> None:
        meta = obj.get("metadata") or {}
        if key.startswith("/namespaces/"):
            self.namespaces[meta.get("name", "")] = meta.get("labels") or {}
        self.workloads[key] = Workload(
            key, obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("namespace") or "",
            meta.get("name", ""), meta.get("labels") or {}, obj, digest(obj), len(orjson.dumps(obj)))
        self._dirty_rows.add(key)

    def _drop_workload(self, source: str, key: str, obj: dict) -> None:
        if key.startswith("/namespaces/"):
            self.namespaces.pop(key.rsplit("/", 1)[1], None)
        workload = self.workloads.get(key)
        if workload is not None:
            workload.obj = None
        self._dirty_rows.add(key)

    def _put_bindingpolicies(self, source: str, key: StoreKey, obj: dict) -> None:
        name = (obj.get("metadata") or {}).get("name", "")
        self.policies[name] = obj
        self._dirty_rows.update(self._binding_rows(name))

    def _drop_bindingpolicies(self, source: str, key: StoreKey, obj: dict) -> None:
        name = (obj.get("metadata") or {}).get("name", "")
        self.policies.pop(name, None)
        self._dirty_rows.update(self._binding_rows(name))

    def _binding_rows(self, name: str) -> Iterable[str]:
        info = self.bindings.get(name)
        return info.entries if info else ()

    def _put_bindings(self, source: str, key: StoreKey, obj: dict) -> None:
        name = (obj.get("metadata") or {}).get("name", "")
        spec = obj.get("spec") or {}
        workload = spec.get("workload") or {}
        entries = {}
        for scope in ("clusterScope", "namespaceScope"):
            for entry in workload.get(scope) or ():
                entry_key = row_key(entry.get("group") or "", entry.get("resource") or "",
                                    entry.get("namespace") or "", entry.get("name") or "")
                entries[entry_key] = bool(entry.get("createOnly"))
        destinations = frozenset(d.get("clusterId", "") for d in spec.get("destinations") or ())
        self._drop_bindings(source, key, obj)
        self.bindings[name] = BindingInfo(entries, destinations)
        for entry_key in entries:
            self.bound[entry_key].add(name)
        self._dirty_rows.update(entries)

    def _drop_bindings(self, source: str, key: StoreKey, obj: dict) -> None:
        name = (obj.get("metadata") or {}).get("name", "")
        old = self.bindings.pop(name, None)
        if old is None:
            return
        for entry_key in old.entries:
            names = self.bound.get(entry_key)
            if names is not None:
                names.discard(name)
                if not names:
                    del self.bound[entry_key]
        self._dirty_rows.update(old.entries)

    def _put_managedclusters(self, source: str, key: StoreKey, obj: dict) -> None:
        meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
        conditions = {c.get("type"): c for c in status.get("conditions") or ()}
        available = conditions.get("ManagedClusterConditionAvailable") or {}
        name = meta.get("name", "")
        info = ClusterInfo(
            labels=meta.get("labels") or {},
            accepted=bool(spec.get("hubAcceptsClient")),
            joined=(conditions.get("ManagedClusterJoined") or {}).get("status", ""),
            available=available.get("status", ""),
            available_reason=available.get("message") or available.get("reason") or "",
        )
        if self.clusters.get(name) != info:
            self.clusters[name] = info
            self._dirty_columns.add(name)
            self._columns_changed = True

    def _drop_managedclusters(self, source: str, key: StoreKey, obj: dict) -> None:
        name = key[1]
        if self.clusters.pop(name, None) is not None:
            self._dirty_columns.add(name)
            self._columns_changed = True

    def _put_manifestworks(self, source: str, key: StoreKey, obj: dict) -> None:
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        if labels.get("transport.kubestellar.io/originWdsName", self.wds) != self.wds:
            return
        cluster = sys.intern(meta.get("namespace", ""))
        manifests = (obj.get("spec") or {}).get("workload", {}).get("manifests") or ()
        keys = self._same("keys", tuple(self._manifest_key(m) for m in manifests))
        status = obj.get("status") or {}
        applied = next((c for c in status.get("conditions") or () if c.get("type") == "Applied"), {})
        failures = {}
        for manifest in (status.get("resourceStatus") or {}).get("manifests") or ():
            for condition in manifest.get("conditions") or ():
                if condition.get("type") == "Applied" and condition.get("status") == "False":
                    rm = manifest.get("resourceMeta") or {}
                    failures[row_key(rm.get("group") or "", rm.get("resource") or "",
                                     rm.get("namespace") or "", rm.get("name") or "")] = (
                        condition.get("message") or condition.get("reason") or "not applied")
        self._drop_manifestworks(source, key, obj)
        name = key[1]
        self.works[key] = WorkInfo(  # key is (cluster, name)
            keys, sys.intern(applied.get("status", "")), sys.intern(applied.get("message") or ""),
            failures or _NO_FAILURES,
            sys.intern(labels.get("transport.kubestellar.io/originOwnerReferenceBindingKey", "")))
        for row in keys:
            names = self.works_by_cell.get((row, cluster), ())
            if name not in names:
                self.works_by_cell[(row, cluster)] = (*names, name)
            self.work_count[row] += 1
            self._dirty_cells.add((row, cluster))

    def _drop_manifestworks(self, source: str, key: StoreKey, obj: dict) -> None:
        cluster, name = key  # a ManifestWork's namespace is its cluster's
        old = self.works.pop(key, None)
        if old is None:
            return
        for row in old.keys:
            names = tuple(n for n in self.works_by_cell.pop((row, cluster), ()) if n != name)
            if names:
                self.works_by_cell[(row, cluster)] = names
            self.work_count[row] -= 1
            if self.work_count[row] <= 0:
                del self.work_count[row]
            self._dirty_cells.add((row, cluster))

    def _manifest_key(self, manifest: Mapping) -> str:
        group = str(manifest.get("apiVersion") or "").rpartition("/")[0]
        kind = str(manifest.get("kind") or "")
        meta = manifest.get("metadata") or {}
        resource = self.kinds.get((group, kind)) or guess_plural(kind)
        return sys.intern(row_key(group, resource, meta.get("namespace") or "", meta.get("name") or ""))

    def _put_workstatuses(self, source: str, key: StoreKey, obj: dict) -> None:
        cluster = sys.intern((obj.get("metadata") or {}).get("namespace", ""))
        ref = (obj.get("spec") or {}).get("sourceRef") or {}
        row = sys.intern(row_key(ref.get("group") or "", ref.get("resource") or "", ref.get("namespace") or "",
                                 ref.get("name") or ""))
        workload = self.workloads.get(row)
        group, version = ref.get("group") or "", ref.get("version") or ""
        rebuilt = {
            "apiVersion": f"{group}/{version}" if group else version,
            "kind": ref.get("kind", ""),
            "metadata": {},
            "spec": ((workload.obj or {}).get("spec") if workload else None) or {},
            "status": obj.get("status") or {},
        }
        cell = (cluster, row)
        self.reported[cell] = self._same("reported", assess_health(rebuilt))
        self._reported_by_name[key] = cell
        if self._shows_hub_report(cluster, row):
            self._dirty_cells.add((row, cluster))

    def _drop_workstatuses(self, source: str, key: StoreKey, obj: dict) -> None:
        cell = self._reported_by_name.pop(key, None)
        if cell is not None:
            self.reported.pop(cell, None)
            if self._shows_hub_report(*cell):
                self._dirty_cells.add((cell[1], cell[0]))

    def _shows_hub_report(self, cluster: str, key: str) -> bool:
        """Whether a cell reads its WorkStatus: a WEC watched directly shows its own copy, and the
        hub's report only once its watch is down (which recomputes the column then). So WorkStatus
        updates, as many as the copies' events, cost no recomputation there."""
        conn = self._row_connection(cluster, key)
        return conn is None or conn.state in _OUTAGE

    def _put_copy(self, source: str, key: str, obj: dict | bytes) -> None:
        # Reduced in settle(): a Deployment rolling out sends many events per tick; only the last counts.
        self._unreduced[(source, key)] = obj
        self._dirty_cells.add((key, source))

    def _drop_copy(self, source: str, key: str, obj: dict) -> None:
        pending = self._unreduced.pop((source, key), None)
        if self.copies.pop((source, key), None) is not None or pending is not None:
            self._dirty_cells.add((key, source))

    def settle(self) -> None:
        """Reduce WEC copies that arrived since the last call to (health, message, drift digest).

        Only a Ready copy can show drift, and a copy's health changes only with a new copy, so the
        digest (the costliest part) is computed for Ready copies only."""
        for cell, obj in self._unreduced.items():
            if isinstance(obj, bytes):
                try:
                    obj = orjson.loads(obj).get("object") or {}
                except orjson.JSONDecodeError:
                    continue  # as `decode_events` does: the copy's next event or re-list brings it
            health, message = assess_health(obj)
            drift_digest = digest(obj) if health is Health.READY else b""
            self.copies[cell] = self._same("copy", (health, message, drift_digest))
        self._unreduced.clear()

    def _same(self, kind: str, value):
        """One shared object for equal immutable values (verdicts, cells, a row's key tuple): at
        400,000 cells most are alike, and a tuple costs ~70 bytes each time it is not shared. A pool
        per kind of value (Health.PROGRESSING == CellState.READY: both are 1), each starting over when
        it grows past POOL_LIMIT (messages with times in them never repeat)."""
        pool = self._pools[kind]
        shared = pool.setdefault(value, value)
        if len(pool) > POOL_LIMIT:
            pool.clear()
        return shared

    # ------------------------------------------------------------------------------------------
    # Output
    def visible(self, key: str) -> bool:
        return bool(self.bound.get(key)) or self.work_count.get(key, 0) > 0

    def column_names(self) -> list[str]:
        return sorted(self.clusters)

    def drain(self, hold: bool = True) -> dict | None:
        """Recompute dirty cells; return the GridDiff of what changed, or None when nothing did.

        With `hold`, cells whose lists are in their first pass are left for later (`_held`); without
        it (a one-off snapshot), every cell is brought up to date with what has arrived."""
        self.settle()
        columns = self.column_names()
        held = self._held()
        if held is None or (held and not hold):
            self._recompute_all = True
        if not hold:
            held = frozenset()
        if held is None:
            open_columns: list[str] = []
            targets: set[tuple[str, str]] = set()
        else:
            open_columns = [c for c in columns if c not in held] if held else columns
            targets = {cell for cell in self._dirty_cells if cell[1] not in held} if held else set(self._dirty_cells)
            for key in self._dirty_rows:
                targets.update((key, c) for c in open_columns)
                targets.update((key, c) for c in self.cells.get(key, ()) if c not in held)
            dirty_columns = self._dirty_columns - held
            if self._recompute_all:
                self._redo_rows.update(self.cells)
                self._recompute_all = False
            rows_left = len(self._redo_rows) if not hold else REDO_CELLS // max(1, len(open_columns))
            while self._redo_rows and rows_left > 0:
                key = self._redo_rows.pop()
                targets.update((key, c) for c in open_columns)
                rows_left -= 1
            if dirty_columns:
                for key in self.cells:
                    targets.update((key, c) for c in dirty_columns)
        changed_rows = self._dirty_rows
        # held cells' rows too: a row shown only through a ManifestWork must exist when its cells come
        touched_rows = {key for key, _ in self._dirty_cells} | {key for key, _ in targets} | changed_rows
        self._dirty_rows = set()
        self._dirty_cells.clear()
        self._dirty_columns.clear()

        diff: dict = {}
        if self._columns_changed:
            diff["columns"] = [self.column_info(name) for name in columns]
            self._columns_changed = False
        rows, removed, cells = [], [], []
        for key in touched_rows:
            if not self.visible(key):
                if self.cells.pop(key, None) is not None:
                    removed.append(key)
                continue
            if key not in self.cells:
                self.cells[key] = {}
                rows.append(self.row_info(key))
                targets.update((key, c) for c in open_columns)
            elif key in changed_rows:
                rows.append(self.row_info(key))
        for key, cluster in targets:
            row = self.cells.get(key)
            if row is None:
                continue
            cell = self.compute(key, cluster) if cluster in self.clusters else BLANK
            if row.get(cluster, BLANK) != cell:
                if cell is BLANK:
                    row.pop(cluster, None)
                else:
                    row[cluster] = self._same("cell", cell)
                cells.append([key, cluster, int(cell.state), cell.message])
        if rows:
            diff["rows"] = rows
        if removed:
            diff["removed"] = removed
        if cells:
            diff["cells"] = cells
        return diff or None

    def row_info(self, key: str) -> dict:
        workload = self.workloads.get(key)
        group, resource, namespace, name = key.split("/", 3)
        if workload is None:
            kind = next((k for (g, k), r in self.kinds.items() if g == group and r == resource), resource)
            return {"key": key, "apiVersion": group, "kind": kind, "namespace": namespace, "name": name,
                    "labels": {}}
        return {"key": key, "apiVersion": workload.api_version, "kind": workload.kind,
                "namespace": namespace, "name": name, "labels": workload.labels}

    def column_info(self, name: str) -> dict:
        info = self.clusters[name]
        conn = self.cluster_connection(name)
        return {"name": name, "labels": info.labels, "available": info.available,
                "connection": conn.state.value if conn else "", "detail": conn.detail if conn else "",
                "since": conn.since if conn else None, "hub_only": conn is None}

    def cluster_connection(self, name: str) -> Connection | None:
        """The worst connection state over a cluster's watches; None when it is not watched directly."""
        conns = self.connections.get(name)
        if not conns:
            return None
        return min(conns.values(), key=lambda c: _WORST_CONNECTION.index(c.state))

    def _row_connection(self, cluster: str, key: str) -> Connection | None:
        """The watch that feeds this row on this cluster: one forbidden kind must not grey out the rest."""
        conns = self.connections.get(cluster)
        if not conns:
            return None
        group, resource = key.split("/", 2)[:2]
        for res, conn in conns.items():
            if res.group == group and res.plural == resource:
                return conn
        return self.cluster_connection(cluster)

    # ------------------------------------------------------------------------------------------
    # The cell rules (design.md §3), worst applicable state wins
    def compute(self, key: str, cluster: str) -> Cell:
        destinations = [b for b in self.bound.get(key, ()) if cluster in self.bindings[b].destinations]
        works = self.works_by_cell.get((key, cluster), ())
        if not destinations and not works:
            self._last_known.pop((key, cluster), None)
            return BLANK
        stale = self._staleness(cluster, key)
        if stale:
            last = self._last_known.get((key, cluster))
            if last is None:  # the outage starts: the cell shown until now is the last known
                shown = self.cells.get(key, {}).get(cluster)
                if shown is not None and shown.state is not CellState.UNKNOWN:
                    last = self._last_known[(key, cluster)] = shown
            if last is None:  # never seen directly in this process: the hub's report is the last word
                last = self._delivery_and_health(key, cluster, destinations, works, direct=False)
            return Cell(CellState.UNKNOWN, last.delivery, "unknown", f"{stale}; last known: {last.state.label}")
        self._last_known.pop((key, cluster), None)
        return self._delivery_and_health(key, cluster, destinations, works,
                                         direct=self.cluster_connection(cluster) is not None)

    def _staleness(self, cluster: str, key: str) -> str:
        conn = self._row_connection(cluster, key)
        if conn is not None and conn.state in _OUTAGE:
            return f"{conn.state.value} since {_clock(conn.since)} ({conn.detail})"
        info = self.clusters[cluster]
        if info.available in ("Unknown", "False") and info.accepted:
            return f"cluster {cluster} not available: {info.available_reason or info.available}"
        return ""

    def _delivery_and_health(self, key: str, cluster: str, destinations: list[str],
                             works: Iterable[str], *, direct: bool) -> Cell:
        info = self.clusters[cluster]
        if not destinations:
            return Cell(CellState.PENDING, "pending", "", "no longer selected; waiting for removal")
        if not info.accepted:
            return Cell(CellState.PENDING, "pending", "",
                        f"cluster {cluster} is not accepted by the hub (hubAcceptsClient is false)")
        infos = [self.works[(cluster, name)] for name in works]
        if not infos:
            return self._undelivered(key, destinations)
        failures = [w.failures[key] for w in infos if key in w.failures]
        if failures:
            return Cell(CellState.ERROR, "failed", "", failures[0])
        if any(w.applied == "False" for w in infos):
            return Cell(CellState.ERROR, "failed", "",
                        next(w.message for w in infos if w.applied == "False") or "ManifestWork not applied")
        if not any(w.applied == "True" for w in infos):
            return Cell(CellState.PENDING, "pending", "", "ManifestWork created; not applied yet")
        create_only = any(self.bindings[b].entries.get(key) for b in destinations)
        if direct:
            copy = self.copies.get((cluster, key))
            if copy is None:
                return Cell(CellState.MISSING, "delivered", "missing",
                            f"ManifestWork applied, but the object is absent on {cluster}")
            health, message, copy_digest = copy
            state = _HEALTH_STATE[health]
            workload = self.workloads.get(key)
            if (state is CellState.READY and not create_only and workload is not None
                    and workload.obj is not None and workload.digest != copy_digest):
                return Cell(CellState.DRIFT, "delivered", "ready", f"the copy on {cluster} differs from the WDS")
            return Cell(state, "delivered", health.name.lower(), message)
        reported = self.reported.get((cluster, key))
        if reported is None:
            return Cell(CellState.PROGRESSING, "delivered", "progressing", "applied; no status reported yet (hub)")
        health, message = reported
        return Cell(_HEALTH_STATE[health], "delivered", health.name.lower(), f"{message} (hub-reported)")

    def _undelivered(self, key: str, destinations: list[str]) -> Cell:
        long_names = [b for b in destinations if len(b) > LABEL_VALUE_LIMIT]
        if long_names:
            return Cell(CellState.ERROR, "failed", "",
                        f'BindingPolicy "{long_names[0][:20]}…" has a {len(long_names[0])}-character name; '
                        f"upstream never creates ManifestWorks for names over {LABEL_VALUE_LIMIT}")
        workload = self.workloads.get(key)
        if workload is not None and workload.size > MANIFESTWORK_LIMIT:
            return Cell(CellState.ERROR, "failed", "",
                        f"the object is {workload.size} bytes; a ManifestWork may hold {MANIFESTWORK_LIMIT}")
        return Cell(CellState.PENDING, "pending", "", "bound; no ManifestWork yet")

    # ------------------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Everything as plain data, shaped for `status -o json`."""
        self.drain(hold=False)
        columns = self.column_names()
        clusters = []
        for name in columns:
            col = self.column_info(name)
            clusters.append({"name": name, "labels": col["labels"], "available": col["available"],
                             "connection": col["connection"] or "hub-only"})
        workloads = []
        for key in sorted(self.cells):
            info = self.row_info(key)
            cells = {}
            for cluster in columns:
                cell = self.cells[key].get(cluster, BLANK)
                cells[cluster] = {"state": _state_name(cell.state), "delivery": cell.delivery,
                                  "health": cell.health, "message": cell.message}
            workloads.append({"apiVersion": info["apiVersion"], "kind": info["kind"],
                              "namespace": info["namespace"], "name": info["name"], "cells": cells})
        return {"clusters": clusters, "workloads": workloads}


def _state_name(state: CellState) -> str:
    return "" if state is CellState.NOT_SELECTED else state.label


def _clock(since: float | None) -> str:
    if since is None:
        return "unknown time"
    import time

    return time.strftime("%H:%M:%S", time.localtime(since))


def _meta_from_key(key: StoreKey) -> dict:
    namespace, name = key if isinstance(key, tuple) else key.split("/", 3)[2:]
    return {"namespace": namespace, "name": name}


def guess_plural(kind: str) -> str:
    """Kubernetes' default plural for kinds not seen yet (the kinds table learns real ones)."""
    lower = kind.lower()
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"
