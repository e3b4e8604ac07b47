"""Our CRD definitions agree with the upstream CRDs kept as test data in /work/shared/upstream-crds.

The product never reads those files; these tests do, to prove that names, scopes, printer columns,
schemas and the BindingPolicy validations are the same as what a real KubeStellar installs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.controllers.ensure import install_crds
from kstellar_tui.sandbox.definitions import ALL_CRDS

UPSTREAM_DIR = Path("/work/shared/upstream-crds")
if not UPSTREAM_DIR.is_dir():  # pragma: no cover - the data set ships with the workspace
    pytest.skip("upstream CRDs not available", allow_module_level=True)


def _upstream() -> dict[str, dict[str, Any]]:
    crds = {}
    for path in sorted(UPSTREAM_DIR.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                crds[doc["metadata"]["name"]] = doc
    return crds


UPSTREAM = _upstream()
OURS = {crd["metadata"]["name"]: crd for crd in ALL_CRDS}
NAMES = sorted(UPSTREAM)

# Validation keywords whose values must agree wherever both schemas describe a field.
COMPARED = ("type", "required", "enum", "pattern", "default", "anyOf", "format", "maxLength", "minLength",
            "minimum", "nullable", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
            "x-kubernetes-map-type", "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource")


def _version(crd: dict[str, Any]) -> dict[str, Any]:
    (version,) = crd["spec"]["versions"]
    return version


def _flatten(schema: dict[str, Any], path: str = "") -> dict[str, dict[str, Any]]:
    """Every node of a schema by path, with the keywords we compare (descriptions dropped)."""
    nodes = {path or ".": {k: schema[k] for k in COMPARED if k in schema}}
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        nodes[path or "."]["open"] = True
    for name, child in schema.get("properties", {}).items():
        nodes.update(_flatten(child, f"{path}.{name}"))
    if "items" in schema:
        nodes.update(_flatten(schema["items"], f"{path}[]"))
    if isinstance(schema.get("additionalProperties"), dict):
        nodes.update(_flatten(schema["additionalProperties"], f"{path}{{}}"))
    return nodes


def _described_by_us(path: str, ours: dict[str, dict[str, Any]]) -> bool:
    """False when one of our ancestors deliberately leaves the subtree open (preserve-unknown-fields)."""
    parts = path.replace("[]", ".[]").replace("{}", ".{}").split(".")
    for i in range(1, len(parts)):
        ancestor = ".".join(parts[:i]).replace(".[]", "[]").replace(".{}", "{}") or "."
        if ours.get(ancestor, {}).get("open") and ancestor != path:
            return False
    return True


def test_every_upstream_crd_has_a_definition_of_ours() -> None:
    assert sorted(set(UPSTREAM) - set(OURS)) == []


@pytest.mark.parametrize("name", NAMES)
def test_names_scope_and_version_agree(name: str) -> None:
    theirs, ours = UPSTREAM[name]["spec"], OURS[name]["spec"]
    assert ours["group"] == theirs["group"]
    assert ours["scope"] == theirs["scope"]
    for key in ("kind", "listKind", "plural", "singular", "shortNames", "categories"):
        assert ours["names"].get(key) == theirs["names"].get(key), key
    mine, upstream = _version(OURS[name]), _version(UPSTREAM[name])
    for key in ("name", "served", "storage", "subresources"):
        assert mine.get(key) == upstream.get(key), key


@pytest.mark.parametrize("name", NAMES)
def test_printer_columns_agree(name: str) -> None:
    def columns(crd: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(c["name"], c["type"], c["jsonPath"]) for c in _version(crd).get("additionalPrinterColumns", [])]

    assert columns(OURS[name]) == columns(UPSTREAM[name])


@pytest.mark.parametrize("name", NAMES)
def test_schemas_agree_wherever_we_describe_a_field(name: str) -> None:
    theirs = _flatten(_version(UPSTREAM[name])["schema"]["openAPIV3Schema"])
    ours = _flatten(_version(OURS[name])["schema"]["openAPIV3Schema"])
    differences = {}
    for path, node in theirs.items():
        if not _described_by_us(path, ours):
            continue
        if path not in ours:
            differences[path] = "missing"
            continue
        mine = ours[path]
        # Where upstream lets unknown fields through, so must we; a node we leave open only keeps its type.
        same = mine.get("type") == node.get("type") if mine.get("open") else mine == node
        if not same:
            differences[path] = (mine, node)
    assert differences == {}


def _bp(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
            "metadata": {"name": "p"}, "spec": spec}


# (case, spec, valid?) — the anyOf-required test fields and the cluster-selector patterns.
BINDING_POLICY_CASES = [
    ("empty spec", {}, True),
    ("getting-started nginx", {
        "clusterSelectors": [{"matchLabels": {"location-group": "edge"}}],
        "downsync": [{"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "nginx"}}]}]}, True),
    *[(f"clause with only {field}", {"downsync": [{field: value}]}, True) for field, value in (
        ("apiGroup", ""), ("resources", ["deployments"]), ("namespaces", ["*"]),
        ("namespaceSelectors", [{}]), ("objectSelectors", [{}]), ("objectNames", ["x"]))],
    ("clause with only modulation fields", {"downsync": [{"createOnly": True, "statusCollectors": ["sc"]}]}, False),
    ("empty clause", {"downsync": [{}]}, False),
    ("one good and one empty clause", {"downsync": [{"resources": ["*"]}, {}]}, False),
    ("operator In", {"clusterSelectors": [{"matchExpressions": [
        {"key": "a", "operator": "In", "values": ["b"]}]}]}, True),
    ("operator DoesNotExist", {"clusterSelectors": [{"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}]},
     True),
    ("operator Gt", {"clusterSelectors": [{"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}]},
     False),
    ("operator lowercase", {"clusterSelectors": [{"matchExpressions": [{"key": "a", "operator": "in"}]}]}, False),
    ("expression without operator", {"clusterSelectors": [{"matchExpressions": [{"key": "a"}]}]}, False),
    ("prefixed label key", {"clusterSelectors": [{"matchLabels": {"example.com/zone": "a"}}]}, True),
    ("matchLabels keys are not pattern-checked", {"clusterSelectors": [{"matchLabels": {"bad key": "a"}}]}, True),
    ("expression key with space", {"clusterSelectors": [{"matchExpressions": [
        {"key": "bad key", "operator": "Exists"}]}]}, False),
    ("expression key ending in dash", {"clusterSelectors": [{"matchExpressions": [
        {"key": "zone-", "operator": "Exists"}]}]}, False),
    ("empty label value", {"clusterSelectors": [{"matchLabels": {"zone": ""}}]}, True),
    ("label value with slash", {"clusterSelectors": [{"matchLabels": {"zone": "a/b"}}]}, False),
    ("expression value with space", {"clusterSelectors": [{"matchExpressions": [
        {"key": "a", "operator": "In", "values": ["x y"]}]}]}, False),
    ("object selector keys are not pattern-checked", {"downsync": [{"objectSelectors": [
        {"matchLabels": {"bad key": "x y"}}]}]}, True),
    ("createOnly must be boolean", {"downsync": [{"resources": ["*"], "createOnly": "yes"}]}, False),
]


@pytest.mark.parametrize("spec, valid", [(spec, valid) for _, spec, valid in BINDING_POLICY_CASES],
                         ids=[case for case, _, _ in BINDING_POLICY_CASES])
def test_binding_policy_validation_matches_upstream(spec: dict[str, Any], valid: bool) -> None:
    name = "bindingpolicies.control.kubestellar.io"
    for crd in (UPSTREAM[name], OURS[name]):
        validator = jsonschema.Draft7Validator(_version(crd)["schema"]["openAPIV3Schema"])
        errors = list(validator.iter_errors(_bp(spec)))
        assert (not errors) == valid, [e.message for e in errors]


@pytest.fixture(scope="module")
def served() -> ClusterStore:
    """A sandbox cluster store with every one of our definitions installed."""
    store = ClusterStore("definitions")
    install_crds(store, ALL_CRDS)
    return store


@pytest.mark.parametrize("name", sorted(OURS))
def test_the_sandbox_establishes_and_serves_each_definition(served: ClusterStore, name: str) -> None:
    crd = served.find(("apiextensions.k8s.io", "customresourcedefinitions"), "", name)
    assert {c["type"]: c["status"] for c in crd["status"]["conditions"]}["Established"] == "True"
    spec = OURS[name]["spec"]
    rt = served.type_for((spec["group"], spec["names"]["plural"]))
    assert (rt.kind, rt.namespaced, rt.short_names) == (
        spec["names"]["kind"], spec["scope"] == "Namespaced", tuple(spec["names"].get("shortNames", ())))
    assert [(c.name, c.json_path) for c in rt.printer_columns] == [
        (c["name"], c["jsonPath"]) for c in _version(OURS[name]).get("additionalPrinterColumns", [])]


@pytest.mark.parametrize("spec, valid", [(spec, valid) for _, spec, valid in BINDING_POLICY_CASES],
                         ids=[case for case, _, _ in BINDING_POLICY_CASES])
def test_the_sandbox_validates_binding_policies_like_upstream(served: ClusterStore, spec: dict[str, Any],
                                                              valid: bool) -> None:
    rt = served.type_for(("control.kubestellar.io", "bindingpolicies"))
    try:
        served.create(rt, _bp(spec), dry_run=True)
        accepted = True
    except ApiError as error:
        assert error.code == 422, error.message
        accepted = False
    assert accepted == valid
