"""Ingest: watch events through decode and the FleetStore, against the official client's `Watch`.

Both sides read the same bytes from the same loopback server: a prerecorded watch stream of
~2.5 KB Deployments (what a WEC sends while workloads roll out). The server only copies bytes, so
the figures measure the client side — decode plus store — which is what decides how many clusters
one monitor can follow.

    python benchmarks/bench_ingest.py            # 50,000 events; 10, 50 and 200 streams
    python benchmarks/bench_ingest.py --quick    # 10,000 events; 10 and 50 streams

Targets (issue: core): one stream >= 30,000 events/s and >= 12x the baseline; 200 concurrent
streams >= 20,000 events/s in total.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import socket
import sys
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kstellar_tui.core.fleet.store import FleetStore  # noqa: E402
from kstellar_tui.core.ingest import tune_gc  # noqa: E402
from kstellar_tui.core.kube.watch import ConnState, ListWatch, Resource, decode_events  # noqa: E402

DEPLOYMENTS = Resource("apps", "v1", "deployments", "default")
WORKLOADS = 2000


def deployment(i: int, rv: int) -> dict:
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
            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "readyReplicas": i % 4,
                       "availableReplicas": i % 4,
                       "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                      {"type": "Progressing", "status": "True",
                                       "reason": "NewReplicaSetAvailable"}]}}


def recorded_stream(count: int) -> bytes:
    """The chunked body of a watch: like kube-apiserver, one HTTP chunk per event."""
    lines = (orjson.dumps({"type": "MODIFIED", "object": deployment(i, 2 + i)}) + b"\n" for i in range(count))
    return b"".join(b"%x\r\n%s\r\n" % (len(line), line) for line in lines)


class StreamServer:
    """HTTP/1.1 on loopback: lists are empty; every watch gets the recorded stream, then ends.

    It runs in a child process, as an apiserver would: in-process, its sender threads would compete
    for this process's GIL and the figures would measure that contention, not the client."""

    EMPTY_LIST = orjson.dumps({"kind": "DeploymentList", "apiVersion": "apps/v1",
                               "metadata": {"resourceVersion": "1"}, "items": []})

    def __init__(self, count: int):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port = self.sock.getsockname()[1]
        self.stream = recorded_stream(count)  # built before forking, so the server is ready when timing starts
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
                if b"watch=true" in head.split(b"\r\n", 1)[0]:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n")
                    conn.sendall(self.stream)
                    conn.sendall(b"0\r\n\r\n")
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                 + str(len(self.EMPTY_LIST)).encode() + b"\r\n\r\n" + self.EMPTY_LIST)


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

    def replace(self, resource, objects):
        self.put(("replace", self.source, resource, objects))

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
            for type_, obj in decode_events(item[3]):
                store.event(item[1], item[2], type_, obj)
            seen += len(item[3])
        elif item[0] == "replace":
            store.replace(item[1], item[2], item[3])
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int)
    args = parser.parse_args()
    count = args.events or (10_000 if args.quick else 50_000)
    fleet_sizes = (10, 50) if args.quick else (10, 50, 200)
    load = os.getloadavg()[0]

    server = StreamServer(count)
    line_bytes = len(server.stream) // count - 8
    base = median_of(3, lambda: baseline(server.port, min(count, 10_000)))
    single = median_of(3, lambda: ours(server.port, 1, count))
    rows = [("baseline: official Watch (models), 1 stream", base, None, "")]
    rows.append(("ours: ListWatch + FleetStore, 1 stream", single, single / base,
                 "PASS" if single >= 30_000 and single / base >= 12 else "FAIL (>= 30,000/s and >= 12x)"))
    for streams in fleet_sizes:
        per_stream = count // streams
        fleet = StreamServer(per_stream)
        rate = median_of(3, lambda: ours(fleet.port, streams, per_stream * streams))
        fleet.close()
        verdict = ("PASS" if rate >= 20_000 else "FAIL (>= 20,000/s)") if streams == 200 else ""
        rows.append((f"ours: {streams} concurrent streams", rate, rate / base, verdict))
    server.close()
    print(f"{count} watch events of {line_bytes} bytes; load average {load:.1f} before the runs, on "
          f"{os.cpu_count()} CPUs (what other processes take of them, we do not get)")
    print(f"{'figure':<48} {'events/s':>10} {'vs baseline':>12}  target")
    for name, rate, ratio, verdict in rows:
        print(f"{name:<48} {rate:>10,.0f} {'' if ratio is None else f'{ratio:.1f}x':>12}  {verdict}")


if __name__ == "__main__":
    main()
