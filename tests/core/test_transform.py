"""What reaches a WEC is the WDS object minus what the transport controller strips."""

from __future__ import annotations

import copy

import pytest

from kstellar_tui.core.fleet.transform import (
    TransformError,
    custom_transform_removes,
    parse_remove_path,
    transform_object,
)

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "nginx-deployment", "namespace": "nginx", "uid": "u-1", "resourceVersion": "42", "generation": 3,
        "creationTimestamp": "2025-01-01T00:00:00Z", "selfLink": "/apis/apps/v1/x", "generateName": "nginx-",
        "finalizers": ["example.com/f"], "ownerReferences": [{"kind": "X", "name": "o", "uid": "u-0"}],
        "managedFields": [{"manager": "kubectl"}],
        "labels": {"app.kubernetes.io/name": "nginx"},
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "web"},
    },
    "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}},
    "status": {"replicas": 1},
}


def test_server_set_metadata_and_status_are_stripped():
    out = transform_object(DEPLOYMENT)
    assert out["metadata"] == {
        "name": "nginx-deployment", "namespace": "nginx", "creationTimestamp": "2025-01-01T00:00:00Z",
        "labels": {"app.kubernetes.io/name": "nginx"}, "annotations": {"team": "web"},
    }
    assert "status" not in out
    assert out["spec"] == DEPLOYMENT["spec"]


def test_input_is_never_mutated():
    before = copy.deepcopy(DEPLOYMENT)
    transform_object(DEPLOYMENT, [("spec", "template", "spec", "containers"),
                                  ("metadata", "labels", "app.kubernetes.io/name")])
    assert DEPLOYMENT == before
    job = copy.deepcopy(JOB)
    transform_object(job)
    assert job == JOB
    service = copy.deepcopy(SERVICE)
    transform_object(service)
    assert service == SERVICE


def test_only_annotation_is_last_applied_leaves_an_empty_map():
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "c", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}}
    assert transform_object(obj)["metadata"] == {"name": "c", "annotations": {}}


SERVICE = {
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"], "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
        "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster", "sessionAffinity": "None",
        "type": "NodePort", "selector": {"app": "web"},
        "ports": [{"port": 80, "nodePort": 30080}, {"port": 443}],
    },
}


def test_service_loses_cluster_assigned_fields():
    assert transform_object(SERVICE)["spec"] == {
        "type": "NodePort", "selector": {"app": "web"},
        "ports": [{"port": 80, "nodePort": None}, {"port": 443, "nodePort": None}],
    }


def test_headless_service_keeps_cluster_ip_none():
    headless = copy.deepcopy(SERVICE)
    headless["spec"].update(clusterIP="None", clusterIPs=["None"])
    spec = transform_object(headless)["spec"]
    assert spec["clusterIP"] == "None" and spec["clusterIPs"] == ["None"]


def test_service_node_ports_kept_on_request():
    preserved = copy.deepcopy(SERVICE)
    preserved["metadata"]["annotations"] = {"control.kubestellar.io/preserve": "nodeport"}
    assert transform_object(preserved)["spec"]["ports"] == [{"port": 80, "nodePort": 30080}, {"port": 443}]


JOB = {
    "apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "pi", "namespace": "default",
                 "labels": {"controller-uid": "u", "batch.kubernetes.io/controller-uid": "u", "app": "pi"},
                 "annotations": {"batch.kubernetes.io/job-tracking": ""}},
    "spec": {"suspend": True, "selector": {"matchLabels": {"controller-uid": "u"}}, "backoffLimit": 4,
             "template": {"metadata": {"labels": {"controller-uid": "u", "job-name": "pi"}},
                          "spec": {"restartPolicy": "Never"}}},
    "status": {"active": 1},
}


def test_job_loses_controller_identity_and_suspension():
    out = transform_object(JOB)
    assert out["metadata"] == {"name": "pi", "namespace": "default", "labels": {"app": "pi"}, "annotations": {}}
    assert out["spec"] == {"backoffLimit": 4, "template": {"metadata": {"labels": {"job-name": "pi"}},
                                                           "spec": {"restartPolicy": "Never"}}}


def test_kind_rules_need_the_exact_api_version():
    lookalike = {**SERVICE, "apiVersion": "example.com/v1"}
    assert transform_object(lookalike)["spec"] == SERVICE["spec"]


@pytest.mark.parametrize(("text", "path"), [
    ("$.spec.suspend", ("spec", "suspend")),
    ('$["metadata"]["labels"]["app.kubernetes.io/name"]', ("metadata", "labels", "app.kubernetes.io/name")),
    ('$.metadata["annotations"].team', ("metadata", "annotations", "team")),
    ('$["a\\"b"]', ('a"b',)),
    ("$._x9", ("_x9",)),
    ("$", ()),
])
def test_remove_paths(text, path):
    assert parse_remove_path(text) == path


@pytest.mark.parametrize(("text", "message"), [
    ("spec.suspend", "syntax error at 0: missing root identifier (dollar sign)"),
    ("$.9lives", "syntax error at 2: expected member-name-shorthand, got '9'"),
    ("$['spec']", "syntax error at 2: expected open quote, got '\\''"),
    ('$["spec"', "syntax error at 8: missing close bracket, got '\\x00'"),
    ('$["spec]', "syntax error at 8: missing close quote"),
    ("$.spec.app-name", "syntax error at 10: extra junk '-' after last segment"),
    ("$.spec[*]", "syntax error at 7: expected open quote, got '*'"),
])
def test_remove_path_errors(text, message):
    with pytest.raises(TransformError) as caught:
        parse_remove_path(text)
    assert str(caught.value) == message


def test_custom_transform_removes_and_status_errors():
    ct = {"spec": {"apiGroup": "batch", "resource": "jobs", "remove": ["$.spec.backoffLimit", "$", "spec"]}}
    removes, errors = custom_transform_removes(ct)
    assert removes == [("spec", "backoffLimit")]
    assert errors == ["Invalid spec.remove[1]: it identifies the whole object",
                      "Error in spec.remove[2]: syntax error at 0: missing root identifier (dollar sign)"]
    assert "backoffLimit" not in transform_object(JOB, removes)["spec"]


def test_removing_absent_paths_changes_nothing():
    out = transform_object(DEPLOYMENT, [("spec", "missing", "deeper"), ("spec", "replicas", "not-a-map")])
    assert out == transform_object(DEPLOYMENT)
