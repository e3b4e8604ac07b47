"""Ingest: the client side of following a fleet, from watch bytes to the cells the UI shows.

Streams: the official client's `Watch` (models) and ours (ListWatch + StreamHub + FleetStore, as the
ingest process runs them) read the same prerecorded watch stream of ~2 KB Deployments (what a WEC
sends while workloads roll out) from a loopback server that only copies bytes, on 1, 10, 50 and 200
streams. Fleet runs: a loopback hub and WECs (FleetServer) followed by the real product path, the
IngestFeed in this process running the real ingest child, its diffs applied to a GridModel; meanwhile
the lag of this process's event loop (a 5 ms sleep, timed) is what the UI would feel. The initial
sync lists what KubeStellar makes of one Binding (a ManifestWork and a WorkStatus per object and WEC,
and the WEC copies) at growing numbers of WECs: time, CPU and peak RSS, so growth can be read off.

    python benchmarks/bench_ingest.py            # about a minute on 2 cores
    python benchmarks/bench_ingest.py --quick    # smaller fleets, one run per figure

Targets (issue "Scale and speed"): one stream >= 30,000 events/s and >= 12x the baseline; 200
streams >= 20,000 events/s in total; UI loop lag p99 <= 50 ms during 200 streams; the app's peak
RSS <= 500 MB at 400,000 cells (here: per added cell). The whole 200 x 2,000 sync (<= 5 s) is
benchmarks/bench_sync.py's figure, against the sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import suite  # noqa: E402
from kstellar_tui.core.fleet.store import FleetStore  # noqa: E402
from kstellar_tui.core.fleet.transform import transform_object  # noqa: E402
from kstellar_tui.core.ingest import tune_gc  # noqa: E402
from kstellar_tui.core.kube.watch import ConnState, ListWatch, Resource  # noqa: E402

DEPLOYMENTS = Resource("apps", "v1", "deployments", "default")
WORKLOADS = 2000


def deployment(i: int, rv: int, available: int | None = None) -> dict:
    """Workload `i` mod WORKLOADS; `available` of its 3 replicas (default: i % 4, mostly rolling out)."""
    available = i % 4 if available is None else available
    name = f"app-{i % WORKLOADS}"
    container = {"name": "app", "image": "registry.example/team/app:1.4.2", "imagePullPolicy": "IfNotPresent",
                 "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                 "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "REGION", "value": "eu-west-1"}],
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                 "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}}
    spec = {"replicas": 3, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name, "tier": "backend"}},
                         "spec": {"containers": [container], "terminationGracePeriodSeconds": 30}}}
    applied = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": name, "namespace": "default"}, "spec": spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{i % WORKLOADS}",
                         "resourceVersion": str(rv), "generation": 2, "labels": {"app": name},
                         "creationTimestamp": "2026-11-27T10:00:00Z",
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)}},
            "spec": spec,
            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "readyReplicas": available,
                       "availableReplicas": available,
                       "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                      {"type": "Progressing", "status": "True",
                                       "reason": "NewReplicaSetAvailable"}]}}


def recorded_stream(count: int) -> bytes:
    """The chunked body of a watch: like kube-apiserver, one HTTP chunk per event."""
    lines = (orjson.dumps({"type": "MODIFIED", "object": deployment(i, 2 + i)}) + b"\n" for i in range(count))
    return b"".join(b"%x\r\n%s\r\n" % (len(line), line) for line in lines)


class LoopbackServer:
    """HTTP/1.1 on loopback, answering each request with `respond(conn, target)`.

    It runs in a child process, as an apiserver would: in-process, its sender threads would compete
    for this process's GIL and the figures would measure that contention, not the client. What it
    serves is built before forking, so the server is ready when timing starts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        self.process = multiprocessing.get_context("fork").Process(target=self._accept, daemon=True)
        self.process.start()
        self.sock.close()  # the child serves it

    def close(self) -> None:
        self.process.terminate()
        self.process.join()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._answer(conn)
        except OSError:  # the client went away mid-stream: the benchmark stopped its loops
            pass

    def _answer(self, conn: socket.socket) -> None:
        data = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, data = data.split(b"\r\n\r\n", 1)
                if not self.respond(conn, head.split(b"\r\n", 1)[0].split(b" ")[1].decode()):
                    return

    def respond(self, conn: socket.socket, target: str) -> bool:
        """Answer one request; False when the connection is done with (a watch that ended)."""
        raise NotImplementedError

    @staticmethod
    def send_json(conn: socket.socket, body: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))

    @staticmethod
    def start_watch(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")

    @staticmethod
    def hold(conn: socket.socket) -> bool:
        """Keep a watch open without events until the client hangs up (a quiet apiserver)."""
        while conn.recv(65536):
            pass
        return False


class StreamServer(LoopbackServer):
    """Lists are empty; every watch gets the recorded stream, then ends."""

    EMPTY_LIST = orjson.dumps({"kind": "DeploymentList", "apiVersion": "apps/v1",
                               "metadata": {"resourceVersion": "1"}, "items": []})

    def __init__(self, count: int):
        self.stream = recorded_stream(count)
        super().__init__()

    def respond(self, conn: socket.socket, target: str) -> bool:
        if "watch=true" in target:
            self.start_watch(conn)
            conn.sendall(self.stream)
            conn.sendall(b"0\r\n\r\n")
        else:
            self.send_json(conn, self.EMPTY_LIST)
        return True


class FleetServer(LoopbackServer):
    """A whole fleet behind one port, as the kubeconfig's server URLs tell apart: /wds, /its and
    /wec/<cluster>. One Binding sends `workloads` Deployments to every WEC, and the hub holds what
    KubeStellar makes of it (upstream's default, one ManifestWork and one WorkStatus per object and
    WEC). Lists are paged as an apiserver does (limit/continue). Each WEC's first watch brings
    `rounds` events per workload (the last one Ready); other watches stay quiet."""

    def __init__(self, wecs: int, workloads: int, rounds: int):
        self.clusters = [f"wec{n:03d}" for n in range(wecs)]
        self.workloads = workloads
        ready = 3 if rounds == 0 else 0  # with rounds, the WEC streams bring readiness
        self.wds = [orjson.dumps(deployment(i, 2, 3)) for i in range(workloads)]
        self.copies = [orjson.dumps(deployment(i, 2, ready)) for i in range(workloads)]
        self.works = [orjson.dumps(manifestwork(i)) for i in range(workloads)]
        self.statuses = [orjson.dumps(workstatus(i)) for i in range(workloads)]
        self.hub = {
            "/wds/apis/control.kubestellar.io/v1alpha1/bindings": [orjson.dumps(binding(workloads, self.clusters))],
            "/wds/apis/control.kubestellar.io/v1alpha1/bindingpolicies": [orjson.dumps(POLICY)],
            "/its/apis/cluster.open-cluster-management.io/v1/managedclusters": [
                orjson.dumps(managedcluster(name)) for name in self.clusters],
        }
        lines = (orjson.dumps({"type": "MODIFIED", "object": deployment(i, 10 + r, 3 if r == rounds - 1 else r % 3)})
                 + b"\n" for r in range(rounds) for i in range(workloads))
        self.stream = b"".join(b"%x\r\n%s\r\n" % (len(line), line) for line in lines)
        self.streamed: set[str] = set()
        super().__init__()

    def respond(self, conn: socket.socket, target: str) -> bool:
        path, _, query = target.partition("?")
        params = dict(parse_qsl(query))
        if params.get("watch") == "true":
            self.start_watch(conn)
            cluster = path.split("/")[2] if path.startswith("/wec/") else None
            if cluster is not None and cluster not in self.streamed:
                self.streamed.add(cluster)
                conn.sendall(self.stream)
            return self.hold(conn)
        count, item = self.collection(path)
        start = int(params.get("continue") or 0)
        end = min(count, start + int(params.get("limit") or count))
        more = b',"continue":"%d"' % end if end < count else b""
        self.send_json(conn, b'{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"9"%s},"items":[%s]}'
                       % (more, b",".join(item(k) for k in range(start, end))))
        return True

    def collection(self, path: str) -> tuple[int, Callable[[int], bytes]]:
        """How many items a list has, and item k of it."""
        w = self.workloads
        if path.endswith("/apis/apps/v1/deployments"):
            items = self.wds if path.startswith("/wds/") else self.copies
            return len(items), items.__getitem__
        for suffix, templates in (("/manifestworks", self.works), ("/workstatuses", self.statuses)):
            if path.startswith("/its/") and path.endswith(suffix):
                return len(self.clusters) * w, lambda k, t=templates: t[k % w].replace(
                    CLUSTER_MARK, self.clusters[k // w].encode())
        items = self.hub.get(path, [])
        return len(items), items.__getitem__


CLUSTER_MARK = b"@@CLUSTER@@"  # where a hub object names its WEC: filled in per page
BINDING_KEY = "bench"
POLICY = {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
          "metadata": {"name": BINDING_KEY, "uid": "policy-uid", "resourceVersion": "2"},
          "spec": {"clusterSelectors": [{"matchLabels": {"location-group": "edge"}}],
                   "downsync": [{"objectSelectors": [{"matchLabels": {}}]}]}}


def binding(workloads: int, clusters: list[str]) -> dict:
    entries = [{"group": "apps", "version": "v1", "resource": "deployments", "namespace": "default",
                "name": f"app-{i}", "resourceVersion": "2"} for i in range(workloads)]
    return {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "Binding",
            "metadata": {"name": BINDING_KEY, "uid": "binding-uid", "resourceVersion": "3", "generation": 1},
            "spec": {"workload": {"namespaceScope": entries}, "destinations": [{"clusterId": c} for c in clusters]}}


def managedcluster(name: str) -> dict:
    return {"apiVersion": "cluster.open-cluster-management.io/v1", "kind": "ManagedCluster",
            "metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": "4",
                         "labels": {"location-group": "edge", "name": name}},
            "spec": {"hubAcceptsClient": True},
            "status": {"conditions": [{"type": "ManagedClusterJoined", "status": "True"},
                                      {"type": "ManagedClusterConditionAvailable", "status": "True"}]}}


def manifestwork(i: int) -> dict:
    """Workload i wrapped for the WEC named CLUSTER_MARK, applied and available there."""
    ok = [{"type": "Applied", "status": "True", "reason": "AppliedManifestComplete"},
          {"type": "Available", "status": "True", "reason": "ResourceAvailable"}]
    ref = {"group": "apps", "version": "v1", "kind": "Deployment", "resource": "deployments",
           "namespace": "default", "name": f"app-{i}", "ordinal": 0}
    return {"apiVersion": "work.open-cluster-management.io/v1", "kind": "ManifestWork",
            "metadata": {"name": f"binding-uid-wds1-uid-{i}", "namespace": CLUSTER_MARK.decode(),
                         "uid": f"mw-{CLUSTER_MARK.decode()}-{i}", "resourceVersion": "5",
                         "labels": {"transport.kubestellar.io/originOwnerReferenceBindingKey": BINDING_KEY,
                                    "transport.kubestellar.io/originWdsName": "wds1"}},
            "spec": {"workload": {"manifests": [transform_object(deployment(i, 2, 3))]}},
            "status": {"conditions": ok, "resourceStatus": {"manifests": [{"resourceMeta": ref, "conditions": ok}]}}}


def workstatus(i: int) -> dict:
    ref = {"group": "apps", "version": "v1", "resource": "deployments", "kind": "Deployment",
           "namespace": "default", "name": f"app-{i}"}
    return {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "WorkStatus",
            "metadata": {"name": f"deployment-default-app-{i}", "namespace": CLUSTER_MARK.decode(),
                         "uid": f"ws-{CLUSTER_MARK.decode()}-{i}", "resourceVersion": "6"},
            "spec": {"sourceRef": ref}, "status": deployment(i, 2, 3)["status"]}


def write_kubeconfig(path: Path, port: int, clusters: list[str]) -> None:
    """wds1, its1 and a context per WEC named after it (the upstream convention)."""
    servers = {"wds1": "/wds", "its1": "/its", **{c: f"/wec/{c}" for c in clusters}}
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "wds1",
        "clusters": [{"name": n, "cluster": {"server": f"http://127.0.0.1:{port}{p}"}} for n, p in servers.items()],
        "users": [{"name": "bench", "user": {"token": "bench"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "bench"}} for n in servers]}))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used: on a shared machine, the cost that load does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


async def follow_fleet(kubeconfig: Path, cells: int, timeout: float) -> dict:
    """The UI process's side: the real IngestFeed runs the real ingest child, and its diffs go into
    a GridModel as the monitor applies them. Meanwhile a 5 ms sleep is timed over and over: how late
    it wakes is how late the UI would answer a key. Ends when every cell is Ready."""
    from kstellar_tui.core.fleet.gridmodel import GridModel
    from kstellar_tui.core.fleet.states import CellState
    from kstellar_tui.core.ingest_feed import IngestFeed

    model = GridModel()
    done = asyncio.Event()
    lags: list[float] = []

    def ready() -> int:  # read off the model: bookkeeping of our own would weigh on this process's RSS
        return sum(model.row(i).states.count(CellState.READY) for i in range(model.row_count))

    def post(diff: dict) -> None:
        model.apply(diff)
        if diff.get("cells") and ready() >= cells:
            done.set()

    async def sample() -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(LAG_PROBE)
            lags.append(time.perf_counter() - began - LAG_PROBE)

    feed = IngestFeed(str(kubeconfig), "wds1", "its1")
    started = time.perf_counter()
    await feed.start(post)
    sampler = asyncio.create_task(sample())
    try:
        await asyncio.wait_for(done.wait(), timeout)
    except asyncio.TimeoutError:
        raise RuntimeError(f"only {ready()} of {cells} cells were Ready after {timeout:g} s") from None
    finally:
        elapsed = time.perf_counter() - started
        child_mb, child_cpu = (peak_rss_mb(feed.pid), cpu_seconds(feed.pid)) if feed.pid else (0.0, 0.0)
        sampler.cancel()
        await feed.stop()
    lags.sort()
    return {"seconds": elapsed, "lag_p99_ms": lags[int(len(lags) * 0.99)] * 1000 if lags else 0.0,
            "child_mb": child_mb, "child_cpu_s": child_cpu, "ui_cpu_s": time.process_time(),
            "ui_mb": peak_rss_mb(os.getpid())}  # not ru_maxrss: Linux carries that over from the parent's fork


LAG_PROBE = 0.005


def fleet_child(wecs: int, workloads: int, rounds: int) -> dict:
    """One fleet run, in a process of its own so that the peak RSS figures are this run's."""
    server = FleetServer(wecs, workloads, rounds)
    try:
        with tempfile.TemporaryDirectory(prefix="kstellar-bench-") as tmp:
            kubeconfig = Path(tmp) / "kubeconfig"
            write_kubeconfig(kubeconfig, server.port, server.clusters)
            result = asyncio.run(follow_fleet(kubeconfig, wecs * workloads, timeout=240))
            return {**result, "server_cpu_s": cpu_seconds(server.process.pid)}
    finally:
        server.close()


def run_fleet(wecs: int, workloads: int, rounds: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--fleet", f"{wecs},{workloads},{rounds}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"fleet run {wecs}x{workloads}: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def api_client(port: int):
    from kubernetes import client

    cfg = client.Configuration()
    cfg.host = f"http://127.0.0.1:{port}"
    cfg.api_key = {"BearerToken": "bench"}
    cfg.api_key_prefix = {"BearerToken": "Bearer"}
    return client.ApiClient(cfg)


def baseline(port: int, count: int) -> float:
    """The official client as its docs show it: `Watch().stream` building a model per event."""
    from kubernetes import client, watch

    api = client.AppsV1Api(api_client(port))
    seen = 0
    started = time.perf_counter()
    for _ in watch.Watch().stream(api.list_namespaced_deployment, "default", resource_version="1"):
        seen += 1
        if seen >= count:
            break
    return count / (time.perf_counter() - started)


class QueueSink:
    """What FleetWatcher gives each loop: enqueue only; the owner applies to the store."""

    def __init__(self, source: str, put):
        self.source, self.put = source, put

    def page(self, resource, objects, first, last):
        self.put(("page", self.source, resource, objects, first, last))

    def events(self, resource, lines):
        self.put(("events", self.source, resource, lines))

    def state(self, resource, state: ConnState, detail, since):
        self.put(("state", self.source, resource, state, detail, since))


def ours(port: int, streams: int, count: int, tick: float = 0.25) -> float:
    """ListWatch threads (requests) and the stream hub (reads) → a queue of event lines → decoded
    and applied to a FleetStore on one thread, drained every tick: what `FleetWatcher.pump` does in
    the ingest process (GC tuned the same way); `count` events in total."""
    tune_gc()
    store = FleetStore()
    events: queue.SimpleQueue = queue.SimpleQueue()
    client = api_client(port)
    loops = [ListWatch(client, DEPLOYMENTS, QueueSink(f"cluster{i}", events.put), read_timeout=30)
             for i in range(streams)]
    started = time.perf_counter()
    for loop in loops:
        threading.Thread(target=loop.run, daemon=True).start()
    seen = 0
    next_drain = time.monotonic() + tick
    deadline = time.monotonic() + 300
    while seen < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {seen} of {count} events arrived")
        try:
            item = events.get(timeout=0.05)
        except queue.Empty:
            continue
        if item[0] == "events":
            store.lines(item[1], item[2], item[3])
            seen += len(item[3])
        elif item[0] == "page":
            store.page(*item[1:])
        else:
            store.connection(*item[1:])
        if time.monotonic() >= next_drain:
            store.drain()
            next_drain = time.monotonic() + tick
    store.drain()
    elapsed = time.perf_counter() - started
    for loop in loops:
        loop.stop()
    return count / elapsed


def median_of(runs: int, measure) -> float:
    """The median of several runs: one cold run (first-touch imports, allocator growth) is not the figure."""
    return sorted(measure() for _ in range(runs))[runs // 2]


def figures(args: argparse.Namespace) -> list[suite.Figure]:
    Figure = suite.Figure
    count = args.events or (10_000 if args.quick else 50_000)
    runs = 1 if args.quick else 3
    server = StreamServer(count)
    base = median_of(runs, lambda: baseline(server.port, min(count, 10_000)))
    single = median_of(runs, lambda: ours(server.port, 1, count))
    server.close()
    official = "official Watch, 1 stream"
    out = [Figure("ingest: official Watch (models), 1 stream", base, "events/s"),
           Figure("ingest: ListWatch + FleetStore, 1 stream", single, "events/s", ">= 30,000/s and >= 12x",
                  single >= 30_000 and single / base >= 12, base, official, single / base)]
    for streams in STREAMS:
        per_stream = max(count // streams, 250)  # fewer, and starting 200 threads is what is timed
        fleet = StreamServer(per_stream)
        rate = median_of(runs, lambda: ours(fleet.port, streams, per_stream * streams))
        fleet.close()
        target = streams == 200
        out.append(Figure(f"ingest: {streams} concurrent streams, total", rate, "events/s",
                          ">= 20,000/s" if target else "", rate >= 20_000 if target else None,
                          base, official, rate / base))
    lag_workloads, lag_rounds = (50, 4) if args.quick else (100, 5)
    lag = run_fleet(200, lag_workloads, lag_rounds)
    events = 200 * lag_workloads * lag_rounds
    out.append(Figure(f"UI loop lag p99: ingest child on 200 WEC streams ({events:,} events)", lag["lag_p99_ms"],
                      "ms", "<= 50 ms", lag["lag_p99_ms"] <= 50))
    out.append(Figure("  the same run: lists, then events until all cells are Ready", events / lag["seconds"],
                      "events/s"))
    workloads = 100 if args.quick else 250
    syncs = {wecs: run_fleet(wecs, workloads, 0) for wecs in ((10, 50) if args.quick else (10, 50, 200))}
    for wecs, sync in syncs.items():
        objects = wecs * workloads * 3  # a ManifestWork, a WorkStatus and a WEC copy per cell
        out.append(Figure(f"initial sync, {wecs} WECs x {workloads} ({wecs * workloads:,} cells): all Ready",
                          sync["seconds"], "s"))
        out.append(Figure("  its CPU time (ingest child + UI) per listed object",
                          (sync["child_cpu_s"] + sync["ui_cpu_s"]) / objects * 1e6, "us"))
        out.append(Figure("  its peak RSS: ingest child + UI process", sync["child_mb"] + sync["ui_mb"], "MB"))
    (few, a), (many, b) = list(syncs.items())[0], list(syncs.items())[-1]
    per_cell = ((b["child_mb"] + b["ui_mb"]) - (a["child_mb"] + a["ui_mb"])) * 2**20 / ((many - few) * workloads)
    judged = not args.quick  # the quick fleets are too small for their fixed costs not to dominate
    out.append(Figure(f"  peak RSS per added cell, {few} -> {many} WECs", per_cell, "bytes",
                      "<= 900 (500 MB at 400,000 cells)" if judged else "", per_cell <= 900 if judged else None))
    return out


STREAMS = (10, 50, 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    suite.add_arguments(parser)
    parser.add_argument("--events", type=int, help="events on the one-stream run (default 50,000; 10,000 quick)")
    parser.add_argument("--fleet", help=argparse.SUPPRESS)  # WECS,WORKLOADS,ROUNDS: one fleet run (internal)
    args = parser.parse_args()
    if args.fleet:
        print(json.dumps(fleet_child(*map(int, args.fleet.split(",")))))
        return
    suite.emit(args, figures(args))


if __name__ == "__main__":
    main()
