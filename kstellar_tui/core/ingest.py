"""FleetWatcher: runs the watches the hub says matter and feeds one FleetStore.

What to watch comes from the hub itself: the ITS's ManagedClusters name the WECs (each watched
directly when a kubeconfig context of the same name exists — the upstream convention — or as
mapped in config), and the WDS's Bindings name the workload kinds. Loops (and the stream hub that
reads their watches) only enqueue, events as undecoded lines; `pump()` decodes and applies queued
items to the store on the caller's thread, so the store needs no locks, one thread does the CPU
work, and the caller decides when to pay for it (the monitor does it in a child process)."""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from kstellar_tui.core.fleet.store import KS_GROUP, FleetStore
from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError
from kstellar_tui.core.kube.watch import ConnState, ListWatch, Resource, decode_events

BINDINGPOLICIES = Resource(KS_GROUP, "v1alpha1", "bindingpolicies")
BINDINGS = Resource(KS_GROUP, "v1alpha1", "bindings")
NAMESPACES = Resource("", "v1", "namespaces")
MANAGEDCLUSTERS = Resource("cluster.open-cluster-management.io", "v1", "managedclusters")
MANIFESTWORKS = Resource("work.open-cluster-management.io", "v1", "manifestworks")
WORKSTATUSES = Resource(KS_GROUP, "v1alpha1", "workstatuses")

HUB_WDS = (BINDINGPOLICIES, BINDINGS, NAMESPACES)
HUB_ITS = (MANAGEDCLUSTERS, MANIFESTWORKS, WORKSTATUSES)


def tune_gc() -> None:
    """Collect garbage less often in a process that holds a fleet.

    A collection walks every live object of its generation, and events decoded since the last
    drain are all alive: with the default thresholds GC took half of ingest's time at 200 streams,
    and still a sixth at (50,000, 20, 100). Young objects die at each drain, so with a
    threshold above what one tick decodes (~250k objects at 50k events/s) collections happen only
    as the store grows. Watch data has no reference cycles to speak of, so rarer collections
    lose nothing but bound the rare cyclic garbage (tracebacks of retried failures) higher."""
    gc.set_threshold(500_000, 20, 100)
    gc.freeze()


LIST_BACKLOG = 1000  # listed objects queued for the store before list pages wait (two pages)
KUBECONFIG_REFRESH = 2.0  # seconds between re-reads of the kubeconfig while a WEC has no context


class FleetWatcher:
    """Owns the loops; `pump()` and `close()` are called from one thread (the owner's)."""

    def __init__(self, kubeconfig: KubeConfig, *, wds: str = "wds1", its: str = "its1",
                 wec_contexts: Mapping[str, str] | None = None, store: FleetStore | None = None,
                 loop_options: Mapping[str, Any] | None = None,
                 on_events: Callable[[str, Resource, list[bytes]], None] | None = None):
        """`on_events(cluster, resource, lines)` sees each batch of event lines once applied."""
        kubeconfig.require(wds)
        kubeconfig.require(its)
        self.kubeconfig = kubeconfig
        self.wds, self.its = wds, its
        self.wec_contexts = dict(wec_contexts or {})
        self.store = store or FleetStore(wds, its)
        self.loop_options = dict(loop_options or {})
        self.on_events = on_events
        self.problems: dict[tuple[str, Resource], str] = {}
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._backlog = 0  # listed objects queued and not yet applied
        self._backlog_changed = threading.Condition()
        self._closed = False
        self._loops: dict[tuple[str, Resource], tuple[ListWatch, threading.Thread]] = {}
        self._versions: dict[tuple[str, str], str] = {}  # (group, resource) -> version, from Bindings
        self._refreshed_at = 0.0
        for resource in HUB_WDS:
            self._start(wds, resource)
        for resource in HUB_ITS:
            self._start(its, resource)

    # -- the sink the loops call (from their threads) -------------------------------------------
    def _sink(self, source: str) -> Any:
        put = self._queue.put
        wait_for_room = self._wait_for_room

        class Sink:
            def page(self, resource: Resource, objects: list[dict], first: bool, last: bool) -> None:
                wait_for_room(len(objects))
                put(("page", source, resource, objects, first, last))

            def events(self, resource: Resource, lines: list[bytes]) -> None:
                put(("events", source, resource, lines))

            def state(self, resource: Resource, state: ConnState, detail: str, since: float | None) -> None:
                put(("state", source, resource, state, detail, since))

        return Sink()

    def _wait_for_room(self, count: int) -> None:
        """Hold a list page back while LIST_BACKLOG listed objects wait to be applied: at 200 WECs
        the lists arrive faster than one thread applies them, and decoded objects are big."""
        with self._backlog_changed:
            self._backlog_changed.wait_for(
                lambda: self._closed or not self._backlog or self._backlog + count <= LIST_BACKLOG)
            self._backlog += count

    # -- loop management ------------------------------------------------------------------------
    def _start(self, context: str, resource: Resource) -> None:
        if (context, resource) in self._loops:
            return
        try:
            client = self.kubeconfig.client(context)
        except KubeConfigError as exc:
            self.problems[(context, resource)] = str(exc)
            return
        loop = ListWatch(client, resource, self._sink(context), **self.loop_options)
        thread = threading.Thread(target=loop.run, name=f"watch {context} {resource}", daemon=True)
        self._loops[(context, resource)] = (loop, thread)
        thread.start()

    def _stop(self, key: tuple[str, Resource]) -> None:
        loop, thread = self._loops.pop(key)
        loop.stop()
        self.store.forget(self._cluster_for(key[0]), key[1])

    def wec_context(self, cluster: str) -> str | None:
        """The context that reaches a WEC: mapped in config, else one named after the cluster."""
        context = self.wec_contexts.get(cluster, cluster)
        return context if context in self.kubeconfig.contexts else None

    def _refresh_kubeconfig(self) -> None:
        """A WEC registered after we started may have a context by now (guided setup adds them)."""
        now = time.monotonic()
        if now - self._refreshed_at < KUBECONFIG_REFRESH:
            return
        self._refreshed_at = now
        try:
            self.kubeconfig.refresh()
        except KubeConfigError:
            pass  # a file half-written by another tool: the next refresh will read it

    def workload_resources(self) -> set[Resource]:
        """The kinds the Bindings mention (what the grid's rows are made of)."""
        found = set()
        for binding in self.store.bindings.values():
            for key in binding.entries:
                group, resource = key.split("/", 2)[:2]
                version = self._versions.get((group, resource))
                if version:
                    found.add(Resource(group, version, resource))
        return found

    def _reconcile_loops(self) -> None:
        wanted = {(self.wds, r) for r in HUB_WDS} | {(self.its, r) for r in HUB_ITS}
        workloads = self.workload_resources()
        wanted |= {(self.wds, r) for r in workloads}
        if any(self.wec_context(c) is None for c in self.store.clusters):
            self._refresh_kubeconfig()
        for cluster in self.store.clusters:
            context = self.wec_context(cluster)
            if context is not None:
                wanted |= {(context, r) for r in workloads}
        for key in set(self._loops) - wanted:
            self._stop(key)
        for context, resource in wanted - set(self._loops):
            self._start(context, resource)

    # -- applying what arrived ------------------------------------------------------------------
    def pump(self, budget: float = 0.05, block: float = 0.0) -> int:
        """Apply queued items for up to `budget` seconds (waiting up to `block` for the first)."""
        applied = 0
        deadline = time.monotonic() + budget
        watch_set_changed = False
        try:
            item = self._queue.get(timeout=block) if block else self._queue.get_nowait()
        except queue.Empty:
            if self._refresh_due():  # a quiet hub still gains WEC contexts as setup runs
                self._reconcile_loops()
            return 0
        while True:
            watch_set_changed |= self._apply(item)
            applied += 1
            if time.monotonic() >= deadline:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        if watch_set_changed or self._refresh_due():
            self._reconcile_loops()
        return applied

    def _refresh_due(self) -> bool:
        """Some WEC has no context yet and the kubeconfig has not been looked at for a while."""
        return (time.monotonic() - self._refreshed_at >= KUBECONFIG_REFRESH
                and any(self.wec_context(c) is None for c in self.store.clusters))

    def _apply(self, item: tuple) -> bool:
        kind, source, resource = item[0], item[1], item[2]
        source_name = self._cluster_for(source)
        if kind == "state":
            if (source, resource) not in self._loops:
                return False  # queued before its loop was stopped: forgotten, it must not come back
            self.store.connection(source_name, resource, *item[3:])
            if item[3] is ConnState.SYNCED:
                self.problems.pop((source, resource), None)
            elif item[3] is ConnState.OFFLINE:
                self.problems[(source, resource)] = item[4]
            return False
        if kind == "page":
            objects = item[3]
            self.store.page(source_name, resource, objects, item[4], item[5])
            with self._backlog_changed:
                self._backlog -= len(objects)
                self._backlog_changed.notify_all()
        else:
            self.store.lines(source_name, resource, item[3])
            if self.on_events is not None:
                self.on_events(source_name, resource, item[3])
            objects = None
        if resource == BINDINGS:  # rare: decoding its events a second time costs nothing worth sharing
            self._learn_versions(objects if objects is not None else [obj for _, obj in decode_events(item[3])])
            return True
        return resource == MANAGEDCLUSTERS and source == self.its

    def _learn_versions(self, objects: list[dict]) -> None:
        for obj in objects:
            workload = (obj.get("spec") or {}).get("workload") or {}
            for scope in ("clusterScope", "namespaceScope"):
                for entry in workload.get(scope) or ():
                    self._versions[(entry.get("group") or "", entry.get("resource") or "")] = entry.get("version") or "v1"

    def _cluster_for(self, context: str) -> str:
        """Events from a WEC's context are filed under its cluster name."""
        if context in (self.wds, self.its):
            return context
        for cluster, mapped in self.wec_contexts.items():
            if mapped == context:
                return cluster
        return context

    # -- lifecycle ------------------------------------------------------------------------------
    def synced(self) -> bool:
        """Every running loop has listed at least once (or given up with a problem)."""
        conns = self.store.connections
        for (context, resource) in self._loops:
            conn = conns.get(self._cluster_for(context), {}).get(resource)
            if conn is None or conn.state in (ConnState.CONNECTING, ConnState.SYNCING):
                return False
        return True

    def wait_synced(self, timeout: float) -> bool:
        """Pump until the watch set stops growing and every loop has synced; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(budget=0.2, block=0.05)
            if self.synced() and self._queue.empty():
                self.pump(budget=0.2)
                if self.synced() and self._queue.empty():
                    return True
        return False

    def close(self) -> None:
        with self._backlog_changed:
            self._closed = True
            self._backlog_changed.notify_all()
        for key in list(self._loops):
            self._stop(key)
