"""Kinds kubectl's typed commands create: `kubectl create quota` and `kubectl create priorityclass`
(protobuf bodies through client-go's typed clients), end to end with the real kubectl."""

from __future__ import annotations

import json

import pytest

from ._helpers import Sandbox, running_sandbox

pytestmark = pytest.mark.kubectl

CTX = "typed"


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory):
    with running_sandbox(tmp_path_factory.mktemp("typed-kinds"), [CTX]) as sandbox:
        yield sandbox


def get_json(sb: Sandbox, *args: str) -> dict:
    return json.loads(sb.kubectl_ok(CTX, "get", *args, "-o", "json"))


def test_create_quota(sb: Sandbox) -> None:
    out = sb.kubectl_ok(CTX, "create", "quota", "compute", "-n", "default", "--hard=cpu=1,memory=1G,pods=2",
                        "--scopes=NotTerminating")
    assert out.strip() == "resourcequota/compute created"
    quota = get_json(sb, "quota", "compute", "-n", "default")
    assert (quota["apiVersion"], quota["kind"]) == ("v1", "ResourceQuota")
    assert quota["spec"] == {"hard": {"cpu": "1", "memory": "1G", "pods": "2"}, "scopes": ["NotTerminating"]}
    assert [(m["manager"], m["operation"]) for m in get_json(sb, "resourcequotas", "compute", "-n", "default",
                                                              "--show-managed-fields")["metadata"]["managedFields"]] \
        == [("kubectl-create", "Update")]
    assert sb.kubectl_ok(CTX, "get", "quota", "-n", "default", "-o", "name").split() == ["resourcequota/compute"]
    assert sb.kubectl_ok(CTX, "delete", "quota", "compute", "-n", "default").strip() == \
        'resourcequota "compute" deleted'


def test_create_priorityclass(sb: Sandbox) -> None:
    out = sb.kubectl_ok(CTX, "create", "priorityclass", "high", "--value=1000", "--description=important",
                        "--preemption-policy=Never")
    assert out.strip() == "priorityclass.scheduling.k8s.io/high created"
    pc = get_json(sb, "pc", "high")
    assert (pc["apiVersion"], pc["kind"], pc["value"], pc["description"], pc["preemptionPolicy"]) == (
        "scheduling.k8s.io/v1", "PriorityClass", 1000, "important", "Never")
    assert "namespace" not in pc["metadata"], "priority classes are cluster-scoped"
    assert sb.kubectl_ok(CTX, "get", "priorityclasses.scheduling.k8s.io", "-o", "name").split() == \
        ["priorityclass.scheduling.k8s.io/high"]
    proc = sb.kubectl(CTX, "create", "priorityclass", "high", "--value=1")
    assert proc.returncode == 1
    assert 'priorityclasses.scheduling.k8s.io "high" already exists' in proc.stderr, proc.stderr


def test_discovery_lists_both(sb: Sandbox) -> None:
    rows = [line.split() for line in sb.kubectl_ok(CTX, "api-resources", "--no-headers").splitlines()]
    assert ["resourcequotas", "quota", "v1", "true", "ResourceQuota"] in rows
    assert ["priorityclasses", "pc", "scheduling.k8s.io/v1", "false", "PriorityClass"] in rows
