"""A fleet seeded by `sandbox.bulk` is the fleet the controllers make, and the sandbox serves it.

The reference is made by the product itself: the quickstart preset and the bench workloads run
through every controller until Ready (`bulk.converge`). The seeded copy must hold the same objects,
field for field, once what differs between any two runs (uids, timestamps, resourceVersions,
ports, keys and certificates, names the simulators make up from random uids) is set aside."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import orjson

from kstellar_tui.sandbox import bulk
from kstellar_tui.sandbox.apiserver.objectfilter import ObjectFilter
from kstellar_tui.sandbox.apiserver.persistence import Database
from kstellar_tui.sandbox.apiserver.resources import BUILTIN_TYPES
from kstellar_tui.sandbox.apiserver.store import ClusterStore
from tests.sandbox._helpers import KUBECTL, LineReader, kubectl_env

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RUN_SPECIFIC = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "<time>"),
    (re.compile(r'"resourceVersion":"\d+"'), '"resourceVersion":"<rv>"'),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"-----BEGIN [A-Z ]+-----[^-]+-----END [A-Z ]+-----"), "<pem>"),
    (re.compile(r"[A-Za-z0-9+/]{40,}={0,2}"), "<base64>"),
    (re.compile(r'(agent-name":")[^"]+'), r"\1<agent>"),
    (re.compile(r'(ReplicaSet \\"[a-z-]+)-[a-z0-9]{10}'), r"\1-<hash>"),
]
# Made from random uids or keys by the simulators, in any two runs different: set aside whole.
RANDOMLY_NAMED = {("", "pods"), ("apps", "replicasets"), ("certificates.k8s.io", "certificatesigningrequests")}


def fleet_rows(state_dir: Path) -> dict[tuple[str, str, str, str, str], str]:
    rows = {}
    for path in sorted((state_dir / "db").glob("*.sqlite")):
        db = Database(path)
        rows.update({(path.stem, *key, ns, name): body.decode() for key, ns, name, body in db.rows()})
        db.close()
    return rows


def comparable(rows: dict[tuple[str, str, str, str, str], str]) -> dict[tuple[str, ...], str]:
    """The rows with each uid replaced by the path of the object that has it, and run-specific
    values by placeholders (names holding uids are resolved until nothing changes)."""
    rows = {k: v for k, v in rows.items() if k[1:3] not in RANDOMLY_NAMED
            and not k[4].startswith("bootstrap-token-")}
    labels: dict[str, str] = {}
    for _ in range(4):
        labels = {orjson.loads(body)["metadata"]["uid"]: "<{}|{}|{}|{}>".format(
            cluster, resource, ns, UUID.sub(lambda m: labels.get(m.group(), "?"), name))
            for (cluster, _, resource, ns, name), body in rows.items()}

    def text(value: str) -> str:
        value = UUID.sub(lambda m: labels.get(m.group(), "<uid>"), value)
        for pattern, replacement in RUN_SPECIFIC:
            value = pattern.sub(replacement, value)
        return value

    return {tuple(text(part) for part in key): text(canonical(key[2], body)) for key, body in rows.items()}


def canonical(resource: str, body: str) -> str:
    """Key order, the order of conditions and how often a lease was renewed depend on timing."""
    obj = orjson.loads(body)
    if resource == "leases":
        obj["metadata"].pop("generation", None)
    conditions = (obj.get("status") or {}).get("conditions")
    if isinstance(conditions, list):
        conditions.sort(key=lambda c: c.get("type", ""))
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


def test_a_seeded_fleet_holds_what_the_controllers_make(tmp_path: Path) -> None:
    bulk.build(tmp_path / "seeded", 3, 5)
    asyncio.run(bulk.converge(tmp_path / "reference", 3, 5))
    seeded, reference = fleet_rows(tmp_path / "seeded"), fleet_rows(tmp_path / "reference")

    # What the seeding leaves out on purpose: the bench workloads' ReplicaSets and Pods.
    left_out = {k for k in set(reference) - set(seeded) if k[3] == bulk.NAMESPACE}
    assert {k[2] for k in left_out} == {"replicasets", "pods"} and len(left_out) == 3 * 5 * 2
    assert sum(1 for k in seeded if k[2] == "workstatuses") == 3 * 6  # 5 Deployments and the namespace per WEC
    assert sum(1 for k in seeded if k[2] == "manifestworks") == 3 * 6
    assert sum(1 for k in seeded if k[2] == "deployments" and k[3] == bulk.NAMESPACE) == 5 + 3 * 5

    expected, actual = comparable(reference), comparable(seeded)
    assert sorted(set(expected) ^ set(actual)) == []
    different = {k: (expected[k], actual[k]) for k in expected if expected[k] != actual[k]}
    assert different == {}


def test_the_sandbox_serves_a_seeded_fleet_without_writing_to_it(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    bulk.build(fleet, 2, 3)
    before = {p.name: p.stat().st_mtime_ns for p in (fleet / "db").glob("*.sqlite")}
    state = bulk.instance(fleet, tmp_path / "instance")
    server = subprocess.Popen([sys.executable, "-m", "kstellar_tui.sandbox.bulk", "serve", "--state-dir", str(state)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        LineReader(server).wait_line(lambda line: '"ready": true' in line, timeout=60)
        env = kubectl_env(state / "kubeconfig")

        def kubectl(*args: str) -> dict:
            done = subprocess.run([KUBECTL, *args, "-o", "json"], env=env, capture_output=True, text=True,
                                  timeout=60, check=True)
            return json.loads(done.stdout)

        deployments = kubectl("--context", "cluster2", "get", "deployments", "-n", bulk.NAMESPACE)["items"]
        assert sorted((d["metadata"]["name"], d["status"]["availableReplicas"]) for d in deployments) == [
            (bulk.workload_name(j), 1) for j in range(3)]
        statuses = kubectl("--context", "its1", "get", "workstatuses", "-A", "--chunk-size=3")["items"]
        assert sorted({s["metadata"]["namespace"] for s in statuses}) == ["cluster1", "cluster2"]
        assert len(statuses) == 2 * 4 and all("status" in s for s in statuses)
        clusters = kubectl("--context", "its1", "get", "managedclusters")["items"]
        available = {c["metadata"]["name"]: {k["type"]: k["status"] for k in c["status"]["conditions"]}
                     ["ManagedClusterConditionAvailable"] for c in clusters}
        assert available == {"cluster1": "True", "cluster2": "True"}
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert {p.name: p.stat().st_mtime_ns for p in (fleet / "db").glob("*.sqlite")} == before


def test_paging_a_loaded_store_by_namespace_survives_writes_between_pages(tmp_path: Path) -> None:
    """Pages come from sorted keys kept between requests; an object created or deleted between
    two pages must neither be skipped wrongly nor repeat what was already listed."""
    cms = next(rt for rt in BUILTIN_TYPES if rt.key == ("", "configmaps"))
    store = ClusterStore("c", database=Database(tmp_path / "c.sqlite"))
    for ns in ("a", "b", "c"):
        store.create(next(rt for rt in BUILTIN_TYPES if rt.key == ("", "namespaces")),
                     {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for i in range(0, 20, 2):
            store.create(cms, {"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": f"m{i:02d}", "namespace": ns}})
    store.close()
    store = ClusterStore("c", database=Database(tmp_path / "c.sqlite"))

    def names(page: list[bytes]) -> list[str]:
        return [orjson.loads(data)["metadata"]["name"] for data in page]

    first, token, remaining = store.select_json(cms, ObjectFilter("b"), limit=4)
    assert names(first) == ["kube-root-ca.crt", "m00", "m02", "m04"] and remaining == 7
    store.create(cms, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m05", "namespace": "b"}})
    store.create(cms, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m01", "namespace": "b"}})
    store.delete(cms, "b", "m06")
    second, token, remaining = store.select_json(cms, ObjectFilter("b"), limit=4, continue_token=token)
    assert names(second) == ["m05", "m08", "m10", "m12"] and remaining == 3
    rest, token, remaining = store.select_json(cms, ObjectFilter("b"), continue_token=token)
    assert names(rest) == ["m14", "m16", "m18"] and token is None
    everywhere, _, _ = store.select(cms, ObjectFilter(None))
    assert len(everywhere) == 3 * 10 + 7 + 2 - 1  # with the root CA ConfigMap of 7 namespaces
    store.close()
