"""The upstream KubeStellar / OCM / KubeFlex CRDs (test data in ../shared/upstream-crds) on a bare
sandbox cluster: they apply cleanly with the real kubectl, objects of every kind can be created,
listed with the CRD's printer columns and watched, and objects that break a schema are refused
with upstream's 422 Invalid naming the field path."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from ._helpers import (DATA, UPSTREAM_CRDS, LineReader, Sandbox, kubectl_env, load_yaml_docs,
                       running_sandbox, table_rows)

CTX = "bare"
NS = "upstream"
AGE = re.compile(r"^\d+[smhdy]")

CRD_FILES = sorted(UPSTREAM_CRDS.glob("*.yaml"))
CRDS: list[dict[str, Any]] = [doc for path in CRD_FILES for doc in load_yaml_docs(path)]
CRD_BY_KIND = {crd["spec"]["names"]["kind"]: crd for crd in CRDS}
OBJECTS = {obj["kind"]: obj for obj in load_yaml_docs(DATA / "upstream-objects.yaml")}

# printer-column cells we can predict from the objects in data/upstream-objects.yaml
EXPECTED_CELLS: dict[str, dict[str, str]] = {
    "ManagedCluster": {"HUB ACCEPTED": "true", "MANAGED CLUSTER URLS": "https://cluster1.example.test:6443",
                       "JOINED": "", "AVAILABLE": ""},
    "CombinedStatus": {"SUBJECT_GROUP": "apps", "SUBJECT_RSC": "deployments", "SUBJECT_NS": "nginx",
                       "SUBJECT_NAME": "nginx-deployment", "BINDINGPOLICY": "nginx-bpolicy"},
    "CustomTransform": {"SUBJECT_GROUP": "", "SUBJECT_RESOURCE": "services"},
    "ControlPlane": {"SYNCED": "", "READY": "", "TYPE": "vcluster"},
    "BindingPolicy": {"SYNCED": "", "READY": "", "TYPE": ""},
    "ManagedClusterAddOn": {"AVAILABLE": "", "DEGRADED": "", "PROGRESSING": ""},
}

pytestmark = pytest.mark.kubectl


def crd_version(crd: dict) -> dict:
    return next(v for v in crd["spec"]["versions"] if v.get("storage"))


def resource(kind: str) -> str:
    crd = CRD_BY_KIND[kind]
    return f"{crd['spec']['names']['plural']}.{crd['spec']['group']}"


def namespaced(kind: str) -> bool:
    return CRD_BY_KIND[kind]["spec"]["scope"] == "Namespaced"


def ns_args(kind: str) -> list[str]:
    return ["-n", NS] if namespaced(kind) else []


def expected_header(kind: str) -> list[str]:
    cols = crd_version(CRD_BY_KIND[kind]).get("additionalPrinterColumns") or []
    shown = [c["name"].upper() for c in cols if not c.get("priority")]
    return ["NAME", *shown] if cols else ["NAME", "AGE"]


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory):
    with running_sandbox(tmp_path_factory.mktemp("upstream-crds"), [CTX]) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def applied(sb: Sandbox) -> dict[str, subprocess.CompletedProcess[str]]:
    """`kubectl apply -f` of every upstream CRD file, in order; the results are checked by a test."""
    results = {path.name: sb.kubectl(CTX, "apply", "-f", str(path)) for path in CRD_FILES}
    if all(r.returncode == 0 for r in results.values()):
        names = [f"crd/{crd['metadata']['name']}" for crd in CRDS]
        sb.kubectl_ok(CTX, "wait", "--for=condition=Established", *names, "--timeout=60s")
        sb.kubectl_ok(CTX, "create", "-f", "-",
                      input=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}))
    return results


@pytest.fixture(scope="module")
def installed(applied: dict[str, subprocess.CompletedProcess[str]]) -> None:
    failed = {name: r.stderr for name, r in applied.items() if r.returncode != 0}
    if failed:
        pytest.fail(f"upstream CRDs did not apply: {failed}")


def k(sb: Sandbox, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return sb.kubectl(CTX, *args, input=input)


def ok(sb: Sandbox, *args: str, input: str | None = None) -> str:
    return sb.kubectl_ok(CTX, *args, input=input)


# ---- the CRDs themselves -------------------------------------------------------------------------

def test_the_test_data_is_there() -> None:
    assert len(CRD_FILES) == 8 and len(CRDS) == 12
    assert set(OBJECTS) == set(CRD_BY_KIND), "data/upstream-objects.yaml must hold one object per upstream kind"


@pytest.mark.parametrize("path", CRD_FILES, ids=lambda p: p.name)
def test_every_upstream_crd_file_applies_cleanly(sb: Sandbox, applied, path) -> None:
    result = applied[path.name]
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "kubectl printed warnings or errors"
    expected = [f"customresourcedefinition.apiextensions.k8s.io/{doc['metadata']['name']} created"
                for doc in load_yaml_docs(path)]
    assert result.stdout.splitlines() == expected

    # re-applying the same file changes nothing. (kubectl says "configured" rather than "unchanged" for
    # the OCM files: they carry an empty `status`, so kubectl's patch is not empty; the server ignores it.)
    names = [doc["metadata"]["name"] for doc in load_yaml_docs(path)]
    versions = [_rv(sb, f"crd/{n}") for n in names]
    again = k(sb, "apply", "-f", str(path))
    assert again.returncode == 0, again.stderr
    assert [line.rsplit(" ", 1)[0] for line in again.stdout.splitlines()] == [e.rsplit(" ", 1)[0] for e in expected]
    assert all(line.rsplit(" ", 1)[1] in ("unchanged", "configured") for line in again.stdout.splitlines())
    assert [_rv(sb, f"crd/{n}") for n in names] == versions, "a no-op apply must not write"


def _rv(sb: Sandbox, ref: str) -> str:
    return ok(sb, "get", ref, "-o", "jsonpath={.metadata.resourceVersion}")


@pytest.mark.parametrize("kind", sorted(CRD_BY_KIND))
def test_each_crd_is_established_and_discoverable(sb: Sandbox, installed, kind: str) -> None:
    crd = CRD_BY_KIND[kind]
    spec = crd["spec"]
    stored = json.loads(ok(sb, "get", "crd", crd["metadata"]["name"], "-o", "json"))
    conditions = {c["type"]: c["status"] for c in stored["status"]["conditions"]}
    assert conditions["Established"] == "True" and conditions["NamesAccepted"] == "True"
    assert stored["status"]["acceptedNames"]["kind"] == kind
    assert stored["status"]["acceptedNames"]["plural"] == spec["names"]["plural"]
    assert stored["spec"]["versions"][0]["schema"] == spec["versions"][0]["schema"], "the schema must round-trip"

    header, rows = table_rows(ok(sb, "api-resources", f"--api-group={spec['group']}"))
    version = crd_version(crd)["name"]
    row = next((r for r in rows if r[0] == spec["names"]["plural"]), None)
    assert row == [spec["names"]["plural"], ",".join(spec["names"].get("shortNames", [])),
                   f"{spec['group']}/{version}", str(spec["scope"] == "Namespaced").lower(), kind], rows


# ---- objects of every kind ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(OBJECTS))
def test_objects_of_each_kind_can_be_created_listed_and_watched(sb: Sandbox, installed, kind: str) -> None:
    obj = OBJECTS[kind]
    name = obj["metadata"]["name"]
    res = resource(kind)
    typed_name = f"{kind.lower()}.{CRD_BY_KIND[kind]['spec']['group']}/{name}"

    out = ok(sb, "apply", *ns_args(kind), "-f", "-", input=yaml.safe_dump(obj))
    assert out.strip() == f"{typed_name} created"

    stored = json.loads(ok(sb, "get", res, name, *ns_args(kind), "-o", "json"))
    for key in obj:
        if key not in ("metadata", "apiVersion", "kind"):
            assert _contains(stored[key], obj[key]), f"{key} was not stored as sent: {stored[key]!r}"

    header, rows = table_rows(ok(sb, "get", res, *ns_args(kind)))
    assert header == expected_header(kind)
    row = dict(zip(header, next(r for r in rows if r[0] == name)))
    for column, value in EXPECTED_CELLS.get(kind, {}).items():
        assert row[column] == value, f"{column}: {row}"
    if "AGE" in header:
        assert AGE.match(row["AGE"]), row

    proc = subprocess.Popen(sb.kubectl_argv(CTX, "get", res, *ns_args(kind), "-w", "--output-watch-events"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=kubectl_env(sb.kubeconfig))
    try:
        reader = LineReader(proc)
        assert reader.wait_line(lambda line: name in line.split()).split()[:2] == ["ADDED", name]
        ok(sb, "label", res, name, *ns_args(kind), "watched=yes")
        assert reader.wait_line(lambda line: name in line.split()).split()[:2] == ["MODIFIED", name]
        ok(sb, "delete", res, name, *ns_args(kind))
        assert reader.wait_line(lambda line: name in line.split()).split()[:2] == ["DELETED", name]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert k(sb, "get", res, name, *ns_args(kind)).returncode == 1


def _contains(stored: Any, sent: Any) -> bool:
    """`stored` holds everything `sent` had (the server may add defaults)."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(k in stored and _contains(stored[k], v) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(stored, list) and len(stored) == len(sent) and all(
            _contains(a, b) for a, b in zip(stored, sent))
    return stored == sent


def test_schema_defaults_are_applied(sb: Sandbox, installed) -> None:
    obj = copy.deepcopy(OBJECTS["ControlPlane"])
    obj["metadata"]["name"] = "defaults"
    del obj["spec"]["backend"]
    ok(sb, "apply", "-f", "-", input=yaml.safe_dump(obj))
    try:
        spec = json.loads(ok(sb, "get", resource("ControlPlane"), "defaults", "-o", "json"))["spec"]
        assert spec["tokenExpirationSeconds"] == 31536000 and spec["waitForPostCreateHooks"] is False
    finally:
        ok(sb, "delete", resource("ControlPlane"), "defaults")


def test_status_subresource_feeds_the_printer_columns(sb: Sandbox, installed) -> None:
    obj = copy.deepcopy(OBJECTS["ManagedCluster"])
    obj["metadata"]["name"] = "joined"
    ok(sb, "apply", "-f", "-", input=yaml.safe_dump(obj))
    try:
        before = json.loads(ok(sb, "get", resource("ManagedCluster"), "joined", "-o", "json"))
        conditions = [{"type": t, "status": "True", "reason": "Ok", "message": "fine",
                       "lastTransitionTime": "2025-01-01T00:00:00Z"}
                      for t in ("ManagedClusterJoined", "ManagedClusterConditionAvailable")]
        ok(sb, "patch", resource("ManagedCluster"), "joined", "--subresource=status", "--type=merge",
           "-p", json.dumps({"status": {"conditions": conditions}, "spec": {"hubAcceptsClient": False}}))
        after = json.loads(ok(sb, "get", resource("ManagedCluster"), "joined", "-o", "json"))
        assert [c["type"] for c in after["status"]["conditions"]] == [c["type"] for c in conditions]
        assert after["spec"]["hubAcceptsClient"] is True, "the status subresource must not change spec"
        assert after["metadata"]["generation"] == before["metadata"]["generation"]

        header, rows = table_rows(ok(sb, "get", resource("ManagedCluster"), "joined"))
        row = dict(zip(header, rows[0]))
        assert row["JOINED"] == "True" and row["AVAILABLE"] == "True" and row["HUB ACCEPTED"] == "true"
    finally:
        ok(sb, "delete", resource("ManagedCluster"), "joined")


# ---- schema violations -------------------------------------------------------------------------------

def _bad(kind: str, name: str, change: Callable[[dict], None]) -> dict:
    obj = copy.deepcopy(OBJECTS[kind])
    obj["metadata"]["name"] = name
    change(obj)
    return obj


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def change(obj: dict) -> None:
        *parents, last = path.split(".")
        node = obj
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return change


_DELETE = object()

VIOLATIONS = [
    # (kind, change, field path named in the error, message fragment)
    ("BindingPolicy", _set("spec.downsync", [{"createOnly": True}]), "spec.downsync[0]", ""),
    ("ControlPlane", _set("spec.type", "bogus"), "spec.type", 'Unsupported value: "bogus"'),
    ("CustomTransform", _set("spec.resource", _DELETE), "spec.resource", "Required value"),
    ("StatusCollector", _set("spec.limit", "ten"), "spec.limit", "must be of type integer"),
    ("ManagedCluster", _set("spec.taints.0.key", "not a key!"), "spec.taints[0].key", "should match"),
    ("ManagedClusterAddOn", _set("spec", _DELETE), "spec", "Required value"),
    ("Binding", _set("spec.destinations", [{}]), "spec.destinations[0].clusterId", "Required value"),
    ("WorkStatus", _set("spec.sourceRef.namespace", _DELETE), "spec.sourceRef.namespace", "Required value"),
    ("CombinedStatus", _set("results.0.columnNames", _DELETE), "results[0].columnNames", "Required value"),
    ("ManifestWork", _set("spec.manifestConfigs.0.conditionRules", [{"condition": "", "type": "CEL"}]),
     "spec.manifestConfigs[0].conditionRules[0]", "Condition is required for CEL rules"),
]


@pytest.mark.parametrize(("kind", "change", "field", "fragment"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_an_object_that_breaks_its_schema_is_refused_with_422(sb: Sandbox, installed, kind, change, field,
                                                              fragment) -> None:
    crd = CRD_BY_KIND[kind]
    group, plural = crd["spec"]["group"], crd["spec"]["names"]["plural"]
    version = crd_version(crd)["name"]
    name = f"bad-{kind.lower()}"
    body = _bad(kind, name, change)
    prefix = f"/apis/{group}/{version}" + (f"/namespaces/{NS}" if namespaced(kind) else "")
    before = sb.request(CTX, "GET", f"{prefix}/{plural}").json["items"]

    res = sb.request(CTX, "POST", f"{prefix}/{plural}", body)
    assert res.status == 422, res
    status = res.json
    assert status["kind"] == "Status" and status["status"] == "Failure" and status["reason"] == "Invalid"
    assert status["code"] == 422
    assert status["details"]["kind"] == kind and status["details"]["group"] == group
    assert status["details"]["name"] == name
    assert status["message"].startswith(f'{kind}.{group} "{name}" is invalid: '), status["message"]
    causes = status["details"]["causes"]
    assert any(c.get("field", "").startswith(field) or field in c.get("message", "") for c in causes), causes
    if fragment:
        assert any(fragment in c.get("message", "") for c in causes if c.get("field", "").startswith(field)), causes
        assert f"{field}: " in status["message"] and fragment in status["message"], status["message"]

    after = sb.request(CTX, "GET", f"{prefix}/{plural}").json["items"]
    assert after == before, "a refused object must change nothing"


def test_kubectl_shows_the_binding_policy_schema_error(sb: Sandbox, installed) -> None:
    bad = _bad("BindingPolicy", "no-clause-fields", _set("spec.downsync", [{"wantSingletonReportedState": True}]))
    proc = k(sb, "apply", "-f", "-", input=yaml.safe_dump(bad))
    assert proc.returncode == 1
    assert proc.stderr.startswith('The BindingPolicy "no-clause-fields" is invalid: '), proc.stderr
    assert "spec.downsync[0]" in proc.stderr
    assert k(sb, "get", resource("BindingPolicy"), "no-clause-fields").returncode == 1

    # each of the six fields on its own satisfies the rule
    for i, clause in enumerate([{"apiGroup": "apps"}, {"resources": ["deployments"]}, {"namespaces": ["a"]},
                                {"namespaceSelectors": [{"matchLabels": {"a": "b"}}]},
                                {"objectSelectors": [{"matchLabels": {"a": "b"}}]},
                                {"objectNames": ["x"]}]):
        good = _bad("BindingPolicy", f"clause-{i}", _set("spec.downsync", [clause]))
        created = sb.request(CTX, "POST", "/apis/control.kubestellar.io/v1alpha1/bindingpolicies", good)
        assert created.status == 201, (clause, created)
    ok(sb, "delete", resource("BindingPolicy"), *[f"clause-{i}" for i in range(6)])
