"""A KubeStellar fleet of N WECs x M workloads, written straight into a sandbox state dir.

Bringing a large fleet up through the controllers takes far too long (every object is a reconcile
and a write), so the controllers make a template instead: the quickstart preset with one WEC, and
one bench workload (a labelled Deployment in namespace `bench`, selected with its namespace by
BindingPolicy `bench` for every `location-group=edge` cluster), run in-process by the same code as
`sandbox up` until Ready. Every object of the fleet is then a copy of a template object in which
the WEC name, the workload name, the uids, the pod-template hash and the WEC's port are replaced
(the Binding is computed by `core.fleet.placement.project_binding`, as the binding controller
does), written into each cluster's SQLite database in one transaction.

What differs from a controller-made fleet, on purpose or as a shortcut:
- no ReplicaSets or Pods for the bench workloads (nothing the monitor watches; 800,000 objects
  fewer at 200 x 2,000);
- the names the simulators derive from random uids and hashes (the WECs' klusterlet and status
  agent ReplicaSets and Pods) are the template's, and so are the CSR and certificate bytes of each
  WEC (their PEM names cluster1) and every timestamp.
tests/sandbox/test_bulk.py checks the rest against a fleet the controllers made.

`serve` runs the product's sandbox runtime on such a state dir without the KubeStellar
controllers: the fleet is already reconciled, and 800 controllers resyncing 1.6 million objects
would only compete with the client being measured.

    python -m kstellar_tui.sandbox.bulk build --wecs N --workloads M --state-dir DIR
    python -m kstellar_tui.sandbox.bulk serve --state-dir DIR
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from kstellar_tui.core.fleet.placement import object_ref, project_binding
from kstellar_tui.sandbox.apiserver import managedfields
from kstellar_tui.sandbox.apiserver.persistence import BulkLoad, Database
from kstellar_tui.sandbox.controllers import kubelet
from kstellar_tui.sandbox.credentials import ensure_private_dir, write_private_file
from kstellar_tui.sandbox.controllers import workload_keys as kinds
from kstellar_tui.sandbox.definitions.kinds import KLUSTERLET
from kstellar_tui.sandbox.statedir import StateDir

log = logging.getLogger(__name__)

FORMAT = 1  # bump when what `build` writes changes: cached fleets of older formats are rebuilt
NAMESPACE = "bench"
POLICY = "bench"
PART_OF = {"app.kubernetes.io/part-of": "bench"}
WDS, ITS, HOSTING = "wds1", "its1", "kind-kubeflex"
IMAGE = "registry.k8s.io/pause:3.10"
SETTLE_TIMEOUT = 120.0

Row = tuple[tuple[str, str], str, str, bytes]  # (group, resource), namespace, name, JSON
WORKLOAD_PODS = frozenset({kinds.REPLICA_SET, kinds.POD})


def wec_name(index: int) -> str:
    return f"cluster{index + 1}"


def workload_name(index: int) -> str:
    return f"bench-{index:05d}"


# ----------------------------------------------------------------------------- the workload
def deployment(index: int) -> dict[str, Any]:
    name = workload_name(index)
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": dict(PART_OF)},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": IMAGE}]}}}}


def user_objects(workloads: int) -> list[dict[str, Any]]:
    """What a user creates in the WDS (`kubectl create -f`): the namespace, the Deployments, the policy."""
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": dict(PART_OF)}},
        *(deployment(i) for i in range(workloads)),
        {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy", "metadata": {"name": POLICY},
         "spec": {"clusterSelectors": [{"matchLabels": {"location-group": "edge"}}],
                  "downsync": [{"objectSelectors": [{"matchLabels": dict(PART_OF)}]}]}},
    ]


# ----------------------------------------------------------------------------- the controllers' way
async def converge(state_dir: Path, wecs: int, workloads: int, timeout: float = SETTLE_TIMEOUT) -> None:
    """Make the fleet with the controllers, as `sandbox up --preset quickstart` and `kubectl create`
    would, and wait until every workload is Ready on every WEC and reported back to the ITS."""
    from kstellar_tui.sandbox import admin_ops, presets
    from kstellar_tui.sandbox.controllers.manager import TopologyManager
    from kstellar_tui.sandbox.runtime import Sandbox

    sandbox = Sandbox(state_dir, [])
    topology = TopologyManager(sandbox)
    await sandbox.start()
    topology.start()
    try:
        await presets.apply(topology, "quickstart", presets.PresetOptions(wecs=wecs, timeout=timeout))
        wds = sandbox.clusters[WDS]
        for obj in user_objects(workloads):
            rt = wds.registry.by_kind(obj["apiVersion"], obj["kind"])
            wds.create(rt, managedfields.record_update(rt, None, obj, "kubectl-create"))
        await admin_ops.wait_for(lambda: _settled(sandbox.clusters, wecs, workloads), timeout,
                                 f"{workloads} workloads Ready on {wecs} WECs")
        await topology.idle(timeout)
    finally:
        await topology.stop()
        await sandbox.stop()


def _settled(stores: dict[str, Any], wecs: int, workloads: int) -> bool:
    """Every Deployment available on every WEC, and its WorkStatus in the ITS saying so."""
    its = stores[ITS]
    reported = [ws for ws in its.objects(kinds.WORK_STATUS)
                if ((ws.get("status") or {}).get("availableReplicas") == 1)]
    works = its.objects(kinds.MANIFEST_WORK)
    available = [mw for mw in works if any(c.get("type") == "Available" and c.get("status") == "True"
                                           for c in (mw.get("status") or {}).get("conditions") or ())]
    wec_ready = all(
        sum(1 for d in stores[wec_name(i)].objects(kinds.DEPLOYMENT, NAMESPACE)
            if (d.get("status") or {}).get("availableReplicas") == 1) == workloads
        for i in range(wecs))
    return wec_ready and len(reported) == wecs * workloads and len(available) == len(works) == wecs * (workloads + 1)


# ----------------------------------------------------------------------------- stamping copies
class Stamp:
    """A template body with its substitutable tokens made `%b` fields: a copy is one C-level
    `%` of the tokens' replacements, not a search."""

    __slots__ = ("fmt", "slots")

    def __init__(self, body: bytes, tokens: Iterable[bytes]) -> None:
        found = sorted({t for t in tokens if t and t in body}, key=len, reverse=True)
        self.slots: tuple[bytes, ...] = ()
        self.fmt = body
        if found:
            pattern = re.compile(b"|".join(re.escape(t) for t in found))
            self.slots = tuple(m.group() for m in pattern.finditer(body))
            self.fmt = pattern.sub(b"%b", body.replace(b"%", b"%%"))

    def render(self, values: dict[bytes, bytes]) -> bytes:
        """The body with each token replaced by `values[token]` (kept when it has no replacement)."""
        if not self.slots:
            return self.fmt
        return self.fmt % tuple(map(values.get, self.slots, self.slots))


def _b64(text: str) -> bytes:
    """A standalone base64 value as it appears in a JSON body (a Secret's data)."""
    return b'"' + base64.b64encode(text.encode()) + b'"'


def _uids(rows: Iterable[Row]) -> set[bytes]:
    """The rows' own uids (not those of the owners they refer to)."""
    return {orjson.loads(body)["metadata"]["uid"].encode() for *_, body in rows}


def _random_uid(rand: random.Random) -> bytes:
    """A version-4 uid, as `uuid.uuid4()` but from `rand` and a few times faster."""
    h = b"%032x" % rand.getrandbits(128)
    return b"%b-%b-4%b-%b-%b" % (h[:8], h[8:12], h[13:16], b"89ab"[h[16] % 4:][:1] + h[17:20], h[20:])


def agent_id(cluster: str) -> str:
    """The work agent's id on a WEC (OCM derives it from the cluster name, as WorkAgent does)."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{cluster}.klusterlet"))


def _rv_token(body: bytes) -> bytes:
    found = re.search(rb'"resourceVersion":"\d+"', body)
    return found.group() if found else b""


class Template:
    """The converged 1 x 1 fleet, read from its databases, and the tokens its copies replace."""

    def __init__(self, state_dir: Path) -> None:
        files = StateDir(state_dir)
        self.rows: dict[str, list[Row]] = {}
        self.rv: dict[str, int] = {}
        for cluster in (HOSTING, ITS, WDS, wec_name(0)):
            db = Database(files.db / f"{cluster}.sqlite")
            self.rows[cluster], self.rv[cluster] = list(db.rows()), db.resource_version()
            db.close()
        self.ports: dict[str, int] = json.loads(files.info.read_text())["ports"]
        self.wec, self.workload = wec_name(0).encode(), workload_name(0).encode()
        self.wds_deployment = self._workload_row(WDS, kinds.DEPLOYMENT)
        self.wds_dep_uid = orjson.loads(self.wds_deployment[3])["metadata"]["uid"].encode()
        # The ITS's objects of the WEC, and the WEC's own (its bench ReplicaSet and Pod left out).
        its_wec = [r for r in self.rows[ITS] if self.wec in r[3]]
        self.its_shared = [r for r in self.rows[ITS] if self.wec not in r[3]]
        wec = [r for r in self.rows[wec_name(0)] if not (r[0] in WORKLOAD_PODS and self.workload in r[3])]
        self.its_per_wec = [r for r in its_wec if self.workload not in r[3]]
        self.its_per_workload = [r for r in its_wec if self.workload in r[3]]
        self.wec_per_wec = [r for r in wec if self.workload not in r[3]]
        self.wec_per_workload = [r for r in wec if self.workload in r[3]]
        self.per_workload_uids = sorted(_uids(self.its_per_workload + self.wec_per_workload) - {self.wds_dep_uid})
        self.per_wec_uids = sorted(_uids(its_wec + wec) - set(self.per_workload_uids) - {self.wds_dep_uid})
        klusterlet = next(r for r in wec if r[0] == KLUSTERLET)
        self.klusterlet_uid = orjson.loads(klusterlet[3])["metadata"]["uid"].encode()
        self.agent_name = self.klusterlet_uid.split(b"-")[0]  # the registration agent's name (CSR labels)
        self.pod_hash = kubelet.template_hash(deployment(0)).encode()
        tokens = [self.wec, _b64(wec_name(0)), agent_id(wec_name(0)).encode(), self.port_token(self.ports[wec_name(0)]),
                  self.agent_name, _b64(self.agent_name.decode()), self.workload, self.pod_hash, self.wds_dep_uid,
                  *self.per_wec_uids, *self.per_workload_uids]
        self.stamps: dict[int, tuple[Stamp, Stamp, Stamp, bytes]] = {}
        for row in (*its_wec, *wec, self.wds_deployment):
            rv = _rv_token(row[3])
            self.stamps[id(row)] = (Stamp(row[1].encode(), tokens), Stamp(row[2].encode(), tokens),
                                    Stamp(row[3], (*tokens, rv)), rv)

    @staticmethod
    def port_token(port: int) -> bytes:
        return f"127.0.0.1:{port}".encode()

    def _workload_row(self, cluster: str, key: tuple[str, str]) -> Row:
        return next(r for r in self.rows[cluster] if r[0] == key and self.workload in r[3])

    def wec_values(self, index: int, port: int, rand: random.Random) -> dict[bytes, bytes]:
        """What replaces the template WEC's tokens in WEC `index`'s copies."""
        name = wec_name(index)
        values = {self.wec: name.encode(), _b64(wec_name(0)): _b64(name),
                  agent_id(wec_name(0)).encode(): agent_id(name).encode(),
                  self.port_token(self.ports[wec_name(0)]): self.port_token(port)}
        values.update((uid, _random_uid(rand)) for uid in self.per_wec_uids)
        agent_name = values[self.klusterlet_uid].split(b"-")[0]
        values.update({self.agent_name: agent_name, _b64(self.agent_name.decode()): _b64(agent_name.decode())})
        return values

    def stamp(self, row: Row, values: dict[bytes, bytes], rv: _RV) -> Row:
        namespace, name, body, rv_token = self.stamps[id(row)]
        if rv_token:
            values[rv_token] = b'"resourceVersion":"%d"' % rv.next()
        return row[0], namespace.render(values).decode(), name.render(values).decode(), body.render(values)


class _RV:
    """A store's resourceVersion counter while its copies are written."""

    def __init__(self, start: int) -> None:
        self.value = start

    def next(self) -> int:
        self.value += 1
        return self.value


class FleetWriter:
    """Stamps the template into N WECs x M workloads, cluster database by cluster database."""

    def __init__(self, template: Template, wecs: int, workloads: int, ports: dict[str, int], seed: int = 0) -> None:
        self.t, self.wecs, self.workloads = template, wecs, workloads
        self.rand = random.Random(seed)
        self.workload_values = [
            {template.workload: workload_name(j).encode(), template.wds_dep_uid: _random_uid(self.rand),
             template.pod_hash: kubelet.template_hash(deployment(j)).encode()}
            for j in range(workloads)]
        self.wec_values = [template.wec_values(i, ports[wec_name(i)], self.rand) for i in range(wecs)]

    def wds(self, db: Path) -> None:
        rv = _RV(self.t.rv[WDS])
        deployments = [self.t.stamp(self.t.wds_deployment, dict(values), rv) for values in self.workload_values]
        rows = [self._binding(r, deployments, rv) if r[0] == kinds.BINDING else r
                for r in self.t.rows[WDS] if r is not self.t.wds_deployment]
        load = BulkLoad(db)
        load.add(sorted(rows + deployments))
        load.finish(rv.value)

    def _binding(self, row: Row, deployments: list[Row], rv: _RV) -> Row:
        """The Binding the binding controller writes for the fleet's objects and clusters."""
        by_key = {(r[0], r[1], r[2]): r for r in self.t.rows[WDS]}
        namespace = orjson.loads(by_key[(kinds.NAMESPACE, "", NAMESPACE)][3])
        policy = orjson.loads(by_key[(kinds.BINDING_POLICY, "", POLICY)][3])
        objects = [(object_ref(namespace, "namespaces"), namespace)]
        objects += [(object_ref(obj, "deployments"), obj) for obj in (orjson.loads(r[3]) for r in deployments)]
        clusters = {wec_name(i): {"location-group": "edge", "name": wec_name(i)} for i in range(self.wecs)}
        binding = orjson.loads(row[3])
        binding["spec"] = project_binding(policy, objects, clusters, {NAMESPACE: namespace["metadata"]["labels"]})
        binding["metadata"]["resourceVersion"] = str(rv.next())
        return row[0], row[1], row[2], orjson.dumps(binding)

    def its_and_wecs(self, db: Path) -> None:
        """The ITS (its shared objects, then each WEC's) and every WEC's database, WEC by WEC so
        the uids a WEC's objects share with its ITS objects are made once."""
        its_rv = _RV(self.t.rv[ITS])
        its = BulkLoad(db / f"{ITS}.sqlite")
        its.add(self.t.its_shared)
        for i, wec_values in enumerate(self.wec_values):
            wec_rv = _RV(self.t.rv[wec_name(0)])
            its_rows = [self.t.stamp(r, dict(wec_values), its_rv) for r in self.t.its_per_wec]
            wec_rows = [self.t.stamp(r, dict(wec_values), wec_rv) for r in self.t.wec_per_wec]
            for workload_values in self.workload_values:
                values = {**wec_values, **workload_values}
                values.update((uid, _random_uid(self.rand)) for uid in self.t.per_workload_uids)
                its_rows += [self.t.stamp(r, values, its_rv) for r in self.t.its_per_workload]
                wec_rows += [self.t.stamp(r, values, wec_rv) for r in self.t.wec_per_workload]
            its.add(sorted(its_rows))
            load = BulkLoad(db / f"{wec_name(i)}.sqlite")
            load.add(sorted(wec_rows))
            load.finish(wec_rv.value)
        its.finish(its_rv.value)


def _free_ports(count: int) -> list[int]:
    """Ports free now, for the WECs' remembered ports (a busy one is replaced at start)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def build(state_dir: Path, wecs: int, workloads: int) -> None:
    """Write a converged fleet of `wecs` x `workloads` into a new state dir."""
    if state_dir.exists():
        raise FileExistsError(f"{state_dir} exists")
    template_dir = Path(tempfile.mkdtemp(prefix="kstellar-fleet-template-"))
    try:
        asyncio.run(converge(template_dir, 1, 1))
        template = Template(template_dir)
        files = StateDir(ensure_private_dir(state_dir))
        ensure_private_dir(files.db)
        shutil.copytree(template_dir / "tls", files.tls)
        shutil.copy2(StateDir(template_dir).token, files.token)
        ports = {name: port for name, port in template.ports.items() if name != wec_name(0)}
        ports.update(zip((wec_name(i) for i in range(wecs)), _free_ports(wecs), strict=True))
        writer = FleetWriter(template, wecs, workloads, ports)
        hosting = BulkLoad(files.db / f"{HOSTING}.sqlite")
        hosting.add(sorted(template.rows[HOSTING]))
        hosting.finish(template.rv[HOSTING])
        writer.wds(files.db / f"{WDS}.sqlite")
        writer.its_and_wecs(files.db)
        write_private_file(files.info, json.dumps({"ports": ports, "tls": True}, indent=2).encode() + b"\n")
    finally:
        shutil.rmtree(template_dir, ignore_errors=True)


# ----------------------------------------------------------------------------- cache
def cached(wecs: int, workloads: int, *, report: Callable[[str], None] = print) -> Path:
    """A built fleet under the system temp dir, keyed by size and FORMAT; built on first use."""
    path = Path(tempfile.gettempdir()) / f"kstellar-fleet-v{FORMAT}-{wecs}x{workloads}"
    if path.is_dir():
        report(f"fleet {wecs}x{workloads}: cached in {path}")
        return path
    started = time.monotonic()
    partial = Path(tempfile.mkdtemp(prefix=f"{path.name}.", dir=path.parent))
    partial.rmdir()
    build(partial, wecs, workloads)
    try:
        partial.rename(path)
    except OSError:  # another process built it meanwhile: use theirs
        shutil.rmtree(partial, ignore_errors=True)
    report(f"fleet {wecs}x{workloads}: built in {time.monotonic() - started:.1f}s, cached in {path}")
    return path


def instance(fleet: Path, state_dir: Path) -> Path:
    """A state dir of its own for one sandbox serving `fleet`: the databases are hard links (the
    server of `serve` never writes to them), the rest is copied."""
    files, source = StateDir(ensure_private_dir(state_dir)), StateDir(fleet)
    ensure_private_dir(files.db)
    for db in source.db.glob("*.sqlite"):
        os.link(db, files.db / db.name)
    shutil.copytree(source.tls, files.tls)
    for path in (source.token, source.info):
        shutil.copy2(path, files.root / path.name)
    return state_dir


# ----------------------------------------------------------------------------- serving
async def _serve(state_dir: Path) -> None:
    from kstellar_tui.sandbox.admin_client import read_info
    from kstellar_tui.sandbox.runtime import Sandbox

    info = read_info(state_dir)
    if info is None:
        raise SystemExit(f"{state_dir} holds no fleet (no sandbox.json)")
    sandbox = Sandbox(state_dir, sorted(info.ports))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    started = time.monotonic()
    await sandbox.start()
    log.info("serving %d clusters in %.1fs", len(sandbox.ports), time.monotonic() - started)
    print(json.dumps({"ready": True, "pid": os.getpid(), "seconds": time.monotonic() - started}), flush=True)
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(sandbox.shutdown_requested.wait())]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waits:
        waiter.cancel()
    await sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kstellar_tui.sandbox.bulk", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("build", help="write a converged fleet into a new state dir")
    make.add_argument("--wecs", type=int, required=True)
    make.add_argument("--workloads", type=int, required=True)
    make.add_argument("--state-dir", type=Path, required=True)
    serve = sub.add_parser("serve", help="serve a fleet's state dir (no controllers) until SIGTERM")
    serve.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "build":
        started = time.monotonic()
        build(args.state_dir, args.wecs, args.workloads)
        print(f"built {args.wecs}x{args.workloads} in {time.monotonic() - started:.1f}s: {args.state_dir}")
        return 0
    asyncio.run(_serve(args.state_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
