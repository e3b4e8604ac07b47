"""CRD handling against the upstream CRDs (test data only) and upstream's exact validation messages."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import pytest
import yaml

from kstellar_tui.sandbox.apiserver.crdschema import (
    go_float,
    go_value,
    prepare,
    types_from_crd,
    unknown_fields,
    validate_crd,
    validate_custom_object,
)
from kstellar_tui.sandbox.apiserver.resources import BUILTIN_TYPES, CRD_VERBS, PrinterColumn

UPSTREAM_CRDS = Path(__file__).parents[2] / ".." / "shared" / "upstream-crds"
UPSTREAM_OBJECTS = Path(__file__).parent / "data" / "upstream-objects.yaml"


@cache
def _load_upstream_crds() -> tuple[dict, ...]:
    return tuple(crd for path in sorted(UPSTREAM_CRDS.glob("*.yaml")) for crd in yaml.safe_load_all(path.read_text()))


def upstream_crds() -> list[dict]:
    return copy.deepcopy(list(_load_upstream_crds()))


def upstream_type(plural: str):
    crd = next(c for c in upstream_crds() if c["spec"]["names"]["plural"] == plural)
    return types_from_crd(crd)[0]


# ---------------------------------------------------------------------------- CRD -> types

# What `kubectl api-resources` and `kubectl get` show for each upstream CRD, written out by hand.
UPSTREAM_TYPES = [
    ("managedclusteraddons", "addon.open-cluster-management.io", "v1alpha1", "ManagedClusterAddOn", True,
     ("mca", "mcas"), (), {"status"}, ("Available", "Degraded", "Progressing")),
    ("managedclusters", "cluster.open-cluster-management.io", "v1", "ManagedCluster", False, ("mcl", "mcls"), (),
     {"status"}, ("Hub Accepted", "Managed Cluster URLs", "Joined", "Available", "Age")),
    ("bindingpolicies", "control.kubestellar.io", "v1alpha1", "BindingPolicy", False, ("bp",), (), {"status"},
     ("SYNCED", "READY", "TYPE", "AGE")),
    ("bindings", "control.kubestellar.io", "v1alpha1", "Binding", False, ("bdg",), (), {"status"}, ()),
    ("combinedstatuses", "control.kubestellar.io", "v1alpha1", "CombinedStatus", True, ("cs",), (), set(),
     ("SUBJECT_GROUP", "SUBJECT_RSC", "SUBJECT_NS", "SUBJECT_NAME", "BINDINGPOLICY")),
    ("customtransforms", "control.kubestellar.io", "v1alpha1", "CustomTransform", False, ("ct",), ("all",),
     {"status"}, ("SUBJECT_GROUP", "SUBJECT_RESOURCE")),
    ("statuscollectors", "control.kubestellar.io", "v1alpha1", "StatusCollector", False, ("sc",), (), {"status"}, ()),
    ("workstatuses", "control.kubestellar.io", "v1alpha1", "WorkStatus", True, ("ws", "wss"), (), {"status"}, ()),
    ("controlplanes", "tenancy.kflex.kubestellar.org", "v1alpha1", "ControlPlane", False, ("cp", "cps"), (),
     {"status"}, ("SYNCED", "READY", "TYPE", "AGE")),
    ("postcreatehooks", "tenancy.kflex.kubestellar.org", "v1alpha1", "PostCreateHook", False, ("pch", "pchs"), (),
     {"status"}, ("SYNCED", "READY", "TYPE", "AGE")),
    ("appliedmanifestworks", "work.open-cluster-management.io", "v1", "AppliedManifestWork", False, (), (),
     {"status"}, ()),
    ("manifestworks", "work.open-cluster-management.io", "v1", "ManifestWork", True, (), (), {"status"}, ()),
]


def test_every_upstream_crd_is_covered():
    assert sorted(c["spec"]["names"]["plural"] for c in upstream_crds()) == sorted(t[0] for t in UPSTREAM_TYPES)


@pytest.mark.parametrize(("plural", "group", "version", "kind", "namespaced", "short", "categories", "subresources",
                          "columns"), UPSTREAM_TYPES, ids=[t[0] for t in UPSTREAM_TYPES])
def test_upstream_crd_converts_to_its_type(plural, group, version, kind, namespaced, short, categories,
                                           subresources, columns):
    rt = upstream_type(plural)
    assert (rt.group, rt.version, rt.kind, rt.plural, rt.singular) == (group, version, kind, plural, kind.lower())
    assert (rt.namespaced, rt.short_names, rt.categories) == (namespaced, short, categories)
    assert rt.subresources == frozenset(subresources)
    assert tuple(c.name for c in rt.printer_columns) == columns
    assert rt.verbs == CRD_VERBS and not rt.builtin and rt.schema["type"] == "object"


def test_printer_columns_keep_path_type_priority_and_description():
    column = upstream_type("bindingpolicies").printer_columns[0]
    assert column == PrinterColumn("SYNCED", "string", ".status.conditions[?(@.type=='Synced')].status")
    age = upstream_type("managedclusters").printer_columns[-1]
    assert (age.name, age.type, age.json_path) == ("Age", "date", ".metadata.creationTimestamp")


def test_only_served_versions_become_types_and_top_level_fields_apply():
    crd = widget_crd()
    crd["spec"]["versions"] = [
        {"name": "v1", "served": True, "storage": True},
        {"name": "v1beta1", "served": False, "storage": False},
        {"name": "v2", "served": True, "storage": False, "subresources": {"scale": {
            "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}}},
    ]
    crd["spec"]["validation"] = {"openAPIV3Schema": WIDGET_SCHEMA}
    crd["spec"]["subresources"] = {"status": {}}
    crd["spec"]["additionalPrinterColumns"] = [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}]
    v1, v2 = types_from_crd(crd)
    assert (v1.version, v2.version) == ("v1", "v2")
    assert v1.subresources == {"status"} and v2.subresources == {"scale"}
    assert v1.schema == WIDGET_SCHEMA and v1.printer_columns[0].json_path == ".spec.size"


def test_upstream_crds_pass_crd_validation():
    assert {c["metadata"]["name"]: validate_crd(c) for c in upstream_crds()} == {
        c["metadata"]["name"]: [] for c in upstream_crds()}


BAD_CRDS = [
    ("name", lambda c: c["metadata"].update(name="widgets.other.io"),
     ("metadata.name", 'Invalid value: "widgets.other.io": must be spec.names.plural+"."+spec.group')),
    ("group", lambda c: (c["spec"].update(group="example"), c["metadata"].update(name="widgets.example")),
     ("spec.group", 'Invalid value: "example": should be a domain with at least one dot')),
    ("scope", lambda c: c["spec"].update(scope="Global"),
     ("spec.scope", 'Unsupported value: "Global": supported values: "Cluster", "Namespaced"')),
    ("no scope", lambda c: c["spec"].pop("scope"), ("spec.scope", "Required value")),
    ("two storage versions", lambda c: c["spec"]["versions"].append(
        {"name": "v2", "served": True, "storage": True, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}}),
     ("spec.versions", 'Invalid value: []interface {}{"v1", "v2"}: must have exactly one version marked as '
                       "storage version")),
    ("no storage version", lambda c: c["spec"]["versions"][0].update(storage=False),
     ("spec.versions", 'Invalid value: []interface {}{"v1"}: must have exactly one version marked as storage version')),
    ("no schema", lambda c: c["spec"]["versions"][0].pop("schema"),
     ("spec.versions[0].schema.openAPIV3Schema", "Required value: schemas are required")),
    ("no kind", lambda c: c["spec"]["names"].pop("kind"), ("spec.names.kind", "Required value")),
    ("bad plural", lambda c: (c["spec"]["names"].update(plural="Widgets"), c["metadata"].update(name="Widgets.example.com")),
     ("spec.names.plural", 'Invalid value: "Widgets": a DNS-1035 label must consist of lower case alphanumeric '
                           "characters or '-', start with an alphabetic character, and end with an alphanumeric "
                           "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                           "'[a-z]([-a-z0-9]*[a-z0-9])?')")),
    ("listKind is kind", lambda c: c["spec"]["names"].update(listKind="Widget"),
     ("spec.names.listKind", 'Invalid value: "Widget": kind and listKind may not be the same')),
]


@pytest.mark.parametrize(("change", "expected"), [b[1:] for b in BAD_CRDS], ids=[b[0] for b in BAD_CRDS])
def test_broken_crds_get_upstream_messages(change, expected):
    crd = widget_crd()
    change(crd)
    assert expected in validate_crd(crd)


def test_a_valid_crd_without_singular_or_listkind_passes():
    assert validate_crd(widget_crd()) == []


# ---------------------------------------------------------------------------- objects of the upstream CRDs


def upstream_objects() -> list[dict]:
    return list(yaml.safe_load_all(UPSTREAM_OBJECTS.read_text()))


@pytest.mark.parametrize("obj", upstream_objects(), ids=lambda o: o["kind"])
def test_good_upstream_objects_validate(obj):
    rt = next(t for c in upstream_crds() for t in types_from_crd(c)
              if t.api_version == obj["apiVersion"] and t.kind == obj["kind"])
    assert unknown_fields(rt, obj) == []
    assert validate_custom_object(rt, prepare(rt, obj)) == []


def binding_policy(**spec) -> dict:
    return {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy", "metadata": {"name": "bp"},
            "spec": spec}


def test_binding_policy_downsync_clause_without_a_test_field():
    """The anyOf-of-required rule: upstream reports the anyOf failure at <nil> plus the first branch's field."""
    obj = binding_policy(downsync=[{"createOnly": True}])
    assert validate_custom_object(upstream_type("bindingpolicies"), obj) == [
        ("<nil>", 'Invalid value: "": "spec.downsync[0]" must validate at least one schema (anyOf)'),
        ("spec.downsync[0].apiGroup", "Required value"),
    ]


def test_binding_policy_type_and_pattern_errors():
    obj = binding_policy(clusterSelectors=[{"matchExpressions": [{"key": "a", "operator": "Maybe"}]}],
                         downsync=[{"resources": "deployments", "wantSingletonReportedState": "yes"}])
    assert validate_custom_object(upstream_type("bindingpolicies"), obj) == [
        ("spec.clusterSelectors[0].matchExpressions[0].operator",
         "Invalid value: \"Maybe\": spec.clusterSelectors[0].matchExpressions[0].operator in body should match "
         "'^(In|NotIn|Exists|DoesNotExist)$'"),
        ("spec.downsync[0].resources",
         'Invalid value: "string": spec.downsync[0].resources in body must be of type array: "string"'),
        ("spec.downsync[0].wantSingletonReportedState",
         'Invalid value: "string": spec.downsync[0].wantSingletonReportedState in body must be of type boolean: '
         '"string"'),
    ]


def test_managed_cluster_enum_and_default():
    rt = upstream_type("managedclusters")
    obj = {"apiVersion": "cluster.open-cluster-management.io/v1", "kind": "ManagedCluster",
           "metadata": {"name": "c1"}, "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}}
    prepared = prepare(rt, obj)
    assert prepared["spec"]["leaseDurationSeconds"] == 60
    errors = validate_custom_object(rt, prepared)
    assert errors == [("spec.taints[0].effect", 'Unsupported value: "Sometimes": supported values: "NoSelect", '
                                                '"PreferNoSelect", "NoSelectIfNew"')]


def test_manifest_work_keeps_embedded_manifests_and_checks_their_kind():
    rt = upstream_type("manifestworks")
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}
    obj = {"apiVersion": "work.open-cluster-management.io/v1", "kind": "ManifestWork", "metadata": {"name": "w"},
           "spec": {"workload": {"manifests": [manifest, {"data": {}}]}}}
    assert unknown_fields(rt, obj) == []
    assert prepare(rt, obj)["spec"]["workload"]["manifests"][0] == manifest
    assert validate_custom_object(rt, obj) == [
        ("spec.workload.manifests[1].apiVersion", "Required value: must not be empty"),
        ("spec.workload.manifests[1].kind", "Required value: must not be empty"),
    ]


# ---------------------------------------------------------------------------- a schema using every rule

WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
        "spec": {"type": "object", "required": ["size"], "properties": {
            "size": {"type": "integer", "minimum": 1, "maximum": 10},
            "ratio": {"type": "number", "maximum": 1.5, "exclusiveMaximum": True, "multipleOf": 0.25},
            "color": {"type": "string", "enum": ["red", "green"]},
            "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
            "tags": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"},
                     "x-kubernetes-list-type": "set"},
            "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "properties": {
                          "name": {"type": "string"}, "port": {"x-kubernetes-int-or-string": True}}}},
            "labels": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
            "note": {"type": "string", "nullable": True},
            "when": {"type": "string", "format": "date-time"},
            "count": {"type": "integer", "format": "int32"},
            "mode": {"type": "string", "default": "auto"},
            "defaults": {"type": "object", "default": {}, "properties": {"inner": {"type": "integer", "default": 3}}},
            "exclusive": {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
                          "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
            "both": {"type": "object", "allOf": [{"required": ["a"]}, {"required": ["b"]}],
                     "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
            "word": {"type": "string", "not": {"enum": ["forbidden"]}},
            "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                         "x-kubernetes-preserve-unknown-fields": True},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {
                "known": {"type": "object", "properties": {"x": {"type": "string"}}}}},
        }},
        "status": {"type": "object", "required": ["phase"], "properties": {
            "phase": {"type": "string", "enum": ["Ready"]}}},
    },
}


def widget_crd() -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": copy.deepcopy(WIDGET_SCHEMA)},
                               "subresources": {"status": {}}}]},
    }


WIDGET = types_from_crd(widget_crd())[0]

SPEC_ERRORS = [
    ("type", {"size": "3"}, [("spec.size", 'Invalid value: "string": spec.size in body must be of type integer: "string"')]),
    ("float for integer", {"size": 2.5},
     [("spec.size", 'Invalid value: "number": spec.size in body must be of type integer: "number"')]),
    ("whole float is an integer", {"size": 2.0}, []),
    ("minimum", {"size": 0}, [("spec.size", "Invalid value: 0: spec.size in body should be greater than or equal to 1")]),
    ("maximum", {"size": 11}, [("spec.size", "Invalid value: 11: spec.size in body should be less than or equal to 10")]),
    ("required", {}, [("spec.size", "Required value")]),
    ("exclusive maximum", {"size": 1, "ratio": 1.5},
     [("spec.ratio", "Invalid value: 1.5: spec.ratio in body should be less than 1.5")]),
    ("multipleOf", {"size": 1, "ratio": 0.3},
     [("spec.ratio", "Invalid value: 0.3: spec.ratio in body should be a multiple of 0.25")]),
    ("multipleOf within float error", {"size": 1, "ratio": 0.75}, []),
    ("integer against a fractional multipleOf", {"size": 1, "ratio": 1},
     [("spec.ratio", "Invalid value: 0: factor MultipleOf declared for spec.ratio must be positive: 0"),
      ("spec.ratio", "Invalid value: 1: spec.ratio in body should be less than 1")]),  # Go truncates bounds for ints
    ("enum", {"size": 1, "color": "blue"},
     [("spec.color", 'Unsupported value: "blue": supported values: "red", "green"')]),
    ("minLength", {"size": 1, "name": "a"},
     [("spec.name", 'Invalid value: "a": spec.name in body should be at least 2 chars long')]),
    ("maxLength", {"size": 1, "name": "abcdef"}, [("spec.name", "Too long: may not be more than 5 bytes")]),
    ("pattern", {"size": 1, "name": "AB"}, [("spec.name", "Invalid value: \"AB\": spec.name in body should match '^[a-z]+$'")]),
    ("minItems", {"size": 1, "tags": []}, [("spec.tags", "Invalid value: 0: spec.tags in body should have at least 1 items")]),
    ("maxItems", {"size": 1, "tags": ["a", "b", "c"]}, [("spec.tags", "Too many: 3: must have at most 2 items")]),
    ("list-type set", {"size": 1, "tags": ["a", "a"]}, [("spec.tags[1]", 'Duplicate value: "a"')]),
    ("list-type map", {"size": 1, "ports": [{"name": "x", "port": 80}, {"name": "x", "port": "http"}]},
     [("spec.ports[1]", 'Duplicate value: map[string]interface {}{"name":"x"}')]),
    ("int-or-string", {"size": 1, "ports": [{"name": "x", "port": True}]},
     [("spec.ports[0].port",
       'Invalid value: "boolean": spec.ports[0].port in body must be of type integer,string: "boolean"')]),
    ("maxProperties", {"size": 1, "labels": {"a": "1", "b": "2"}},
     [("spec.labels", "Too many: 2: must have at most 1 items")]),
    ("additionalProperties", {"size": 1, "labels": {"b": 2}},
     [("spec.labels.b", 'Invalid value: "integer": spec.labels.b in body must be of type string: "integer"')]),
    ("nullable", {"size": 1, "note": None}, []),
    ("null", {"size": 1, "mode": None},
     [("spec.mode", 'Invalid value: "null": spec.mode in body must be of type string: "null"')]),
    ("format", {"size": 1, "when": "yesterday"},
     [("spec.when", 'Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"')]),
    ("good format", {"size": 1, "when": "2024-05-01T12:00:00Z"}, []),
    ("dropped format", {"size": 1, "count": 99999999999}, []),
    ("oneOf none", {"size": 1, "exclusive": {}},
     [("<nil>", 'Invalid value: "": "spec.exclusive" must validate one and only one schema (oneOf). Found none valid'),
      ("spec.exclusive.a", "Required value")]),
    ("oneOf two", {"size": 1, "exclusive": {"a": "x", "b": "y"}},
     [("<nil>", 'Invalid value: "": "spec.exclusive" must validate one and only one schema (oneOf). '
                "Found 2 valid alternatives")]),
    ("allOf", {"size": 1, "both": {"a": "x"}},
     [("spec.both.b", "Required value"),
      ("<nil>", 'Invalid value: "": "spec.both" must validate all the schemas (allOf)')]),
    ("not", {"size": 1, "word": "forbidden"},
     [("<nil>", 'Invalid value: "": "spec.word" must not validate the schema (not)')]),
]


@pytest.mark.parametrize(("spec", "expected"), [c[1:] for c in SPEC_ERRORS], ids=[c[0] for c in SPEC_ERRORS])
def test_widget_spec_validation(spec, expected):
    assert validate_custom_object(WIDGET, {"apiVersion": "example.com/v1", "kind": "Widget", "spec": spec}) == expected


def test_wrong_type_at_the_top():
    assert validate_custom_object(WIDGET, {"spec": "x"}) == [
        ("spec", 'Invalid value: "string": spec in body must be of type object: "string"')]


@pytest.mark.parametrize(("status", "expected"), [
    ({"phase": "Ready"}, []),
    ({"phase": "Nope"}, [("status.phase", 'Unsupported value: "Nope": supported values: "Ready"')]),
    ({}, [("status.phase", "Required value")]),
])
def test_status_subresource_validates_status_only(status, expected):
    obj = {"spec": {"size": "not checked"}, "status": status}
    assert validate_custom_object(WIDGET, obj, subresource="status") == expected


def test_unknown_fields_respect_preserve_and_embedded_resources():
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "colour": "red"},
           "spec": {"size": 1, "bogus": 1, "ports": [{"name": "a", "extra": 1}],
                    "free": {"anything": 1, "known": {"x": "a", "y": "b"}},
                    "template": {"apiVersion": "v1", "kind": "Pod", "whatever": {"deep": 1}}},
           "status": {"phase": "Ready", "stray": True}, "extra": 1}
    assert unknown_fields(WIDGET, obj) == [
        "extra", "metadata.colour", "spec.bogus", "spec.free.known.y", "spec.ports[0].extra", "status.stray"]
    pruned = prepare(WIDGET, obj)
    assert pruned["spec"]["free"] == {"anything": 1, "known": {"x": "a"}}
    assert pruned["spec"]["template"]["whatever"] == {"deep": 1}
    assert pruned["metadata"] == {"name": "w"} and "extra" not in pruned
    assert obj["spec"]["bogus"] == 1, "prepare works on a copy"


def test_prepare_applies_defaults_and_drops_non_nullable_nulls():
    obj = {"spec": {"size": None, "note": None, "mode": None}}
    prepared = prepare(WIDGET, obj)
    assert prepared["spec"] == {"note": None, "mode": "auto", "defaults": {"inner": 3}}
    assert validate_custom_object(WIDGET, prepared) == [("spec.size", "Required value")]


BUILTIN_UNKNOWN = [
    ("apps/v1", "Deployment", {"spec": {"replicass": 4, "template": {"metadata": {"labelz": {}}, "spec": {
        "containers": [{"name": "c", "imagee": "x", "ports": [{"containerPort": 80, "hostt": 1}]}],
        "nodeSelector": {"any-key": "fine"}}}}, "metadata": {"name": "d", "colour": "red"}},
     ["metadata.colour", "spec.replicass", "spec.template.metadata.labelz",
      "spec.template.spec.containers[0].imagee", "spec.template.spec.containers[0].ports[0].hostt"]),
    ("v1", "Service", {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80, "targetPort": "http"}]}}, []),
    ("v1", "ConfigMap", {"metadata": {"name": "c"}, "data": {"any": "key"}, "stuff": 1}, ["stuff"]),
    ("events.k8s.io/v1", "Event", {"metadata": {"name": "e"}, "note": "n", "message": "m"}, ["message"]),
]


@pytest.mark.parametrize(("api_version", "kind", "obj", "expected"), BUILTIN_UNKNOWN,
                         ids=[b[1] for b in BUILTIN_UNKNOWN])
def test_unknown_fields_of_builtin_kinds(api_version, kind, obj, expected):
    rt = next(rt for rt in BUILTIN_TYPES if rt.api_version == api_version and rt.kind == kind)
    assert unknown_fields(rt, {"apiVersion": api_version, "kind": kind, **obj}) == expected


def test_upstream_crds_have_no_unknown_fields_as_crd_objects():
    crd_type = next(rt for rt in BUILTIN_TYPES if rt.kind == "CustomResourceDefinition")
    assert {c["metadata"]["name"]: unknown_fields(crd_type, c) for c in upstream_crds()} == {
        c["metadata"]["name"]: [] for c in upstream_crds()}


def test_custom_types_without_a_schema_accept_anything():
    rt = types_from_crd(widget_crd())[0]
    bare = type(rt)(**{**rt.__dict__, "schema": None})
    obj = {"spec": 1, "anything": {"x": None}}
    assert validate_custom_object(bare, obj) == [] and unknown_fields(bare, obj) == []
    assert prepare(bare, obj) == obj


# ---------------------------------------------------------------------------- Go formatting


@pytest.mark.parametrize(("number", "text"), [
    (1.0, "1"), (0.5, "0.5"), (100000.0, "100000"), (1e6, "1e+06"), (123456789.0, "1.23456789e+08"),
    (0.0001, "0.0001"), (1e-05, "1e-05"), (-2.5, "-2.5"), (0.0, "0"),
])
def test_go_float(number, text):
    assert go_float(number) == text


@pytest.mark.parametrize(("value", "text"), [
    (None, "null"), (True, "true"), (3, "3"), ("a\"b\n", '"a\\"b\\n"'), ({"b": 1, "a": "x"},
     'map[string]interface {}{"a":"x", "b":1}'), (["x", None], '[]interface {}{"x", interface {}(nil)}'),
])
def test_go_value(value, text):
    assert go_value(value) == text
