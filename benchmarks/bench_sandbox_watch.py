"""Watch throughput of the sandbox's API server to the official kubernetes Python client.

A sandbox runs in this process (HTTPS, SQLite persistence on, as `sandbox up` runs it); a child
process opens one watch on Deployments with the kubernetes client (`_preload_content=False`, the
raw stream its `watch` module reads) while this process updates one ~2.5 KB Deployment in a loop
through the store, as an in-process controller would. The child counts lines from the first event
to the last and prints events per second (the target is at least 20,000). The server's CPU time
per event is printed too: on a busy machine it tells what an idle core would sustain.

    python benchmarks/bench_sandbox_watch.py                 # 50,000 events
    python benchmarks/bench_sandbox_watch.py --quick         # 10,000 events
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import suite  # noqa: E402
from kstellar_tui.sandbox.runtime import Sandbox  # noqa: E402

CLUSTER = "bench"
NAMESPACE = "default"
NAME = "payload"
BATCH = 200  # updates between yields to the event loop


def deployment() -> dict:
    """A typical `kubectl apply`-ed Deployment (its last-applied-configuration included): ~2.5 KB."""
    container = {"name": "app", "image": "registry.example/team/app:1.4.2", "imagePullPolicy": "IfNotPresent",
                 "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                 "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "REGION", "value": "eu-west-1"}],
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                 "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}}
    sidecar = {"name": "proxy", "image": "registry.example/platform/proxy:2.0.1",
               "args": ["--upstream=127.0.0.1:8080", "--listen=:9090"],
               "ports": [{"name": "proxy", "containerPort": 9090, "protocol": "TCP"}],
               "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}
    spec = {"replicas": 3, "selector": {"matchLabels": {"app": NAME}},
            "template": {"metadata": {"labels": {"app": NAME, "tier": "backend"}},
                         "spec": {"containers": [container, sidecar], "terminationGracePeriodSeconds": 30,
                                  "serviceAccountName": NAME}}}
    applied = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": {"app": NAME}}, "spec": spec}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": {"app": NAME, "tier": "backend"},
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)}},
        "spec": spec,
    }


def run_client(kubeconfig: str, resource_version: str, count: int) -> None:
    """Child process: read `count` watch events from the raw stream and report the rate as JSON."""
    from kubernetes import client, config

    api = client.AppsV1Api(config.new_client_from_config(kubeconfig, context=CLUSTER))
    response = api.list_namespaced_deployment(NAMESPACE, watch=True, resource_version=resource_version,
                                              timeout_seconds=300, _preload_content=False)
    seen, started, size = 0, 0.0, 0
    for chunk in response.stream(amt=None, decode_content=False):
        if not seen:
            started = time.perf_counter()
        lines = chunk.count(b"\n")
        if lines and not size:
            size = chunk.index(b"\n") + 1
        seen += lines
        if seen >= count:
            break
    elapsed = time.perf_counter() - started
    response.release_conn()
    print(json.dumps({"events": seen, "seconds": elapsed, "line_bytes": size}), flush=True)


async def produce(sandbox: Sandbox, count: int) -> float:
    """Restart the Deployment's pods `count` times (what `kubectl rollout restart` writes), each a
    MODIFIED event; returns the seconds it took."""
    store = sandbox.clusters[CLUSTER]
    rt = store.registry.lookup("apps", "v1", "deployments")
    current = store.get(rt, NAMESPACE, NAME)
    started = time.perf_counter()
    for i in range(1, count + 1):
        current["spec"]["template"]["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": str(i)}
        current = store.update(rt, current)
        if i % BATCH == 0:
            await asyncio.sleep(0)  # let the server write to the socket
    return time.perf_counter() - started


async def bench(count: int) -> dict:
    with tempfile.TemporaryDirectory() as state:
        sandbox = Sandbox(Path(state), [CLUSTER])
        await sandbox.start()
        try:
            store = sandbox.clusters[CLUSTER]
            rt = store.registry.lookup("apps", "v1", "deployments")
            created = store.create(rt, deployment())
            child = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--client", str(sandbox.kubeconfig_path),
                created["metadata"]["resourceVersion"], str(count), stdout=subprocess.PIPE)
            while store.watch_count(rt.key) == 0:
                if child.returncode is not None:
                    raise RuntimeError("the client exited before it watched")
                await asyncio.sleep(0.05)  # waiting for another process; nothing to poll but its watch
            cpu = time.process_time()
            writing = await produce(sandbox, count)
            output, _ = await asyncio.wait_for(child.communicate(), timeout=120)
            result = json.loads(output)
            result["writer_seconds"] = writing
            result["server_cpu_seconds"] = time.process_time() - cpu
            return result
        finally:
            await sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    suite.add_arguments(parser)
    parser.add_argument("--events", type=int)
    parser.add_argument("--client", nargs=3, metavar=("KUBECONFIG", "RV", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        run_client(args.client[0], args.client[1], int(args.client[2]))
        return
    events = args.events or (10_000 if args.quick else 50_000)
    result = asyncio.run(bench(events))
    rate = (result["events"] - 1) / result["seconds"] if result["seconds"] else float("inf")
    cpu_per_event = result["server_cpu_seconds"] / events
    suite.emit(args, [
        suite.Figure(f"sandbox watch -> kubernetes client, {result['line_bytes']} B events", rate, "events/s",
                     ">= 20,000/s", rate >= 20_000),
        suite.Figure("sandbox CPU per watch event (events/s on an idle core)", 1 / cpu_per_event, "events/s"),
    ])


if __name__ == "__main__":
    main()
