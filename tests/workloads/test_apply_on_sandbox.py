"""Applying manifests to a quickstart sandbox: all or nothing, dependency order, CRDs, read-only,
update / delete / redeploy — each result checked with the real kubectl."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from kstellar_tui.core.apply import Applier, ReadOnlyError
from kstellar_tui.core.manifests import crd_instance_template, load_text
from tests.sandbox._helpers import wait_for
from tests.workloads.conftest import Hub


def namespace(name: str) -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {{app: {name}}}}}\n"


def deployment(name: str, ns: str, replicas: int = 1, label: str | None = None) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}, labels: {{app: {label or ns}}}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{pod: {name}}}}}
  template:
    metadata: {{labels: {{pod: {name}}}}}
    spec: {{containers: [{{name: c, image: "busybox:1"}}]}}
"""


def configmap(name: str, ns: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: {ns}}}\ndata: {{a: b}}\n"


def policy(name: str, label: str, clusters: str = "location-group: edge") -> str:
    return f"""apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {{name: {name}}}
spec:
  clusterSelectors: [{{matchLabels: {{{clusters}}}}}]
  downsync: [{{objectSelectors: [{{matchLabels: {{app: {label}}}}}]}}]
"""


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties: {size: {type: integer}}
"""


def widget(name: str, size: str = "3") -> str:
    return f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: {name}, namespace: default}}\nspec: {{size: {size}}}\n"


def join(*docs: str) -> str:
    return "---\n".join(docs)


@pytest.fixture(scope="module")
def applier(hub: Hub) -> Applier:
    return Applier(hub.kubeconfig(), wds="wds1", its="its1")


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def nothing_of(hub: Hub, ns: str) -> bool:
    return not hub.exists("wds1", "namespace", ns) and not hub.exists("wds1", "deployment", "-n", ns, "web")


# -- all or nothing ------------------------------------------------------------------------------


def test_a_third_document_the_server_rejects_means_nothing_is_written(hub: Hub, tmp_path: Path) -> None:
    path = write(tmp_path, join(namespace("atom"), deployment("web", "atom"), configmap("c", "no-such-namespace")))
    done = hub.cli("apply", "-f", str(path), "--kubeconfig", str(hub.kubeconfig_path))
    assert done.returncode == 1
    assert 'm.yaml:15: ConfigMap no-such-namespace/c failed: namespaces "no-such-namespace" not found' in done.stderr
    assert "nothing was written" in done.stderr
    assert nothing_of(hub, "atom")


@pytest.mark.parametrize("third,line,rule", [
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: atom}\ndata: [unclosed\n", 18, "yaml"),
    (policy("p" * 64, "atom"), 15, "policy-name-too-long"),
    ("apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g, namespace: atom}\n", 15, "unknown-kind"),
], ids=["broken-yaml", "long-policy-name", "unknown-kind"])
def test_a_third_document_that_fails_validation_means_nothing_is_written(hub: Hub, tmp_path: Path, third, line,
                                                                         rule) -> None:
    path = write(tmp_path, join(namespace("atom"), deployment("web", "atom"), third))
    done = hub.cli("apply", "-f", str(path), "--kubeconfig", str(hub.kubeconfig_path))
    assert done.returncode == 1, done.stdout
    assert f"m.yaml:{line}: error[{rule}]" in done.stderr and "nothing was written" in done.stderr
    assert nothing_of(hub, "atom")


def test_dry_run_checks_everything_and_writes_nothing(hub: Hub, tmp_path: Path) -> None:
    path = write(tmp_path, join(namespace("dry"), deployment("web", "dry")))
    done = hub.cli("apply", "-f", str(path), "--dry-run", "--kubeconfig", str(hub.kubeconfig_path))
    assert done.returncode == 0, done.stderr
    assert "namespace/dry would be created" in done.stdout
    assert 'deployment.apps/web would be checked after Namespace "dry" in this batch exists' in done.stdout
    assert nothing_of(hub, "dry")


def test_namespaces_first_whatever_the_file_order(hub: Hub, applier: Applier) -> None:
    result = applier.apply(load_text(join(policy("order-bp", "order"), deployment("web", "order"), namespace("order"))))
    assert result.ok, [str(o) for o in result.outcomes]
    assert [o.subject for o in result.outcomes] == [
        "namespace/order", "deployment.apps/web", "bindingpolicy.control.kubestellar.io/order-bp"]
    wait_for(lambda: hub.exists("cluster1", "deployment", "-n", "order", "web"), timeout=20,
             message="the deployment on cluster1")


# -- CRDs ------------------------------------------------------------------------------------------


def test_a_crd_and_its_instance_in_one_batch(hub: Hub, applier: Applier) -> None:
    result = applier.apply(load_text(join(widget("first"), CRD)))
    assert result.ok, [str(o) for o in result.outcomes] + [str(f) for f in result.report.findings]
    assert [o.subject for o in result.outcomes] == [
        "customresourcedefinition.apiextensions.k8s.io/widgets.example.com", "widget.example.com/first"]
    assert hub.ok("wds1", "get", "widget", "first", "-o", "jsonpath={.spec.size}") == "3"
    hub.ok("wds1", "delete", "widget", "first")
    hub.ok("wds1", "delete", "crd", "widgets.example.com")


def test_an_instance_the_new_crd_rejects_rolls_the_crd_back(hub: Hub, applier: Applier) -> None:
    result = applier.apply(load_text(join(CRD, widget("bad", size='"three"'))))
    assert not result.ok
    actions = {o.subject: (o.action, o.message) for o in result.outcomes}
    assert actions["Widget default/bad"][0] == "failed" and "integer" in actions["Widget default/bad"][1]
    assert actions["CustomResourceDefinition widgets.example.com"][0] == "rolled back"
    wait_for(lambda: not hub.exists("wds1", "crd", "widgets.example.com"), timeout=20, message="the CRD removed")


# -- modes -----------------------------------------------------------------------------------------


def test_continue_on_error_applies_the_good_documents_and_reports_each(hub: Hub, applier: Applier) -> None:
    text = join(configmap("good-one", "default"), configmap("bad", "no-such-namespace"), configmap("good-two", "default"),
                configmap("Bad_Name", "default"))
    result = applier.apply(load_text(text), continue_on_error=True)
    assert not result.ok
    assert {o.subject: o.action for o in result.outcomes} == {
        "configmap/good-one": "created", "ConfigMap no-such-namespace/bad": "failed",
        "configmap/good-two": "created", "ConfigMap default/Bad_Name": "failed"}
    assert hub.exists("wds1", "configmap", "good-one") and hub.exists("wds1", "configmap", "good-two")


def test_read_only_refuses_every_mutation_but_allows_a_dry_run(hub: Hub, tmp_path: Path) -> None:
    reader = Applier(hub.kubeconfig(), wds="wds1", its="its1", read_only=True)
    documents = load_text(configmap("ro", "default"))
    with pytest.raises(ReadOnlyError, match="read-only mode"):
        reader.apply(documents)
    with pytest.raises(ReadOnlyError):
        reader.delete([documents[0].obj])
    with pytest.raises(ReadOnlyError):
        reader.redeploy(documents[0].obj)
    assert reader.apply(documents, dry_run=True).ok
    path = write(tmp_path, configmap("ro", "default"))
    done = hub.cli("apply", "-f", str(path), "--read-only", "--kubeconfig", str(hub.kubeconfig_path))
    assert done.returncode == 1 and "read-only mode" in done.stderr
    assert not hub.exists("wds1", "configmap", "ro")


# -- update, redeploy, delete ----------------------------------------------------------------------


def on_wec(hub: Hub, cluster: str, *args: str) -> str | None:
    done = hub.kubectl(cluster, "get", *args)
    return done.stdout if done.returncode == 0 else None


def test_update_redeploy_and_delete_reach_the_wecs(hub: Hub, applier: Applier) -> None:
    assert applier.apply(load_text(join(namespace("life"), deployment("web", "life"), policy("life-bp", "life")))).ok
    replicas = ("deployment", "web", "-n", "life", "-o", "jsonpath={.spec.replicas}")
    wait_for(lambda: on_wec(hub, "cluster1", *replicas) == "1", timeout=20, message="web on cluster1")

    assert applier.apply(load_text(deployment("web", "life", replicas=2))).ok
    wait_for(lambda: on_wec(hub, "cluster1", *replicas) == "2", timeout=20, message="the update on cluster1")

    live = json.loads(hub.ok("wds1", "get", "deployment", "web", "-n", "life", "-o", "json"))
    outcomes = applier.redeploy(live)
    assert [o.action for o in outcomes] == ["deleted", "created"], [str(o) for o in outcomes]
    fresh = json.loads(hub.ok("wds1", "get", "deployment", "web", "-n", "life", "-o", "json"))
    assert fresh["metadata"]["uid"] != live["metadata"]["uid"] and fresh["spec"]["replicas"] == 2
    wait_for(lambda: on_wec(hub, "cluster2", *replicas) == "2", timeout=20, message="redeployed web on cluster2")

    assert [o.action for o in applier.delete([fresh], wait=True)] == ["deleted"]
    assert not hub.exists("wds1", "deployment", "web", "-n", "life")
    wait_for(lambda: on_wec(hub, "cluster1", *replicas) is None and on_wec(hub, "cluster2", *replicas) is None,
             timeout=20, message="web removed from both WECs")
    assert [o.action for o in applier.delete([fresh])] == ["already gone"]


def test_an_unreachable_wds_is_a_clear_message(hub: Hub, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = yaml.safe_load(hub.kubeconfig_path.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{port}"
    dead = write(tmp_path, yaml.safe_dump(config), "kubeconfig")
    done = hub.cli("apply", "-f", str(write(tmp_path, configmap("x", "default"))), "--kubeconfig", str(dead))
    assert done.returncode == 1
    assert f"cannot reach https://127.0.0.1:{port}: Connection refused; nothing was written" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_template_built_from_a_crd_in_the_wds_applies(hub: Hub, applier: Applier) -> None:
    hub.ok("wds1", "apply", "-f", "-", input=CRD.replace("widgets", "sprockets").replace("Widget", "Sprocket")
           .replace("widget", "sprocket"))
    hub.ok("wds1", "wait", "--for=condition=Established", "crd/sprockets.example.com", "--timeout=20s")
    crds = applier.rest.list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
    (crd,) = [c for c in crds if c["metadata"]["name"] == "sprockets.example.com"]
    template = crd_instance_template(crd)
    assert "kind: Sprocket" in template.text and "size: 1" in template.text
    result = applier.apply(load_text(template.text))
    assert result.ok, [str(o) for o in result.outcomes]
    assert hub.ok("wds1", "get", "sprocket", "example-sprocket", "-o", "jsonpath={.spec.size}") == "1"
