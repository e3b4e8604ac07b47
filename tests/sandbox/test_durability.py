"""A sandbox that is stopped, or killed with SIGKILL, comes back with every acknowledged write;
resourceVersions keep increasing across restarts; the kubeconfig stays valid."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

import pytest
import yaml

from ._helpers import DATA, Sandbox, wait_for

CTX = "a"
NS = "durable"
CM_URL = f"/api/v1/namespaces/{NS}/configmaps"
WIDGETS_URL = f"/apis/example.com/v1/namespaces/{NS}/widgets"


def create(sb: Sandbox, url: str, body: dict) -> dict:
    res = sb.request(CTX, "POST", url, body)
    assert res.status == 201, res
    return res.json


def cm(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def objects(sb: Sandbox, url: str) -> dict[str, tuple[str, str, Any]]:
    res = sb.request(CTX, "GET", url)
    assert res.status == 200, res
    return {i["metadata"]["name"]: (i["metadata"]["uid"], i["metadata"]["resourceVersion"], i.get("data", i.get("spec")))
            for i in res.json["items"]}


def current_rv(sb: Sandbox) -> int:
    return int(sb.request(CTX, "GET", "/api/v1/namespaces").json["metadata"]["resourceVersion"])


def populate(sb: Sandbox) -> None:
    create(sb, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    for i in range(10):
        create(sb, CM_URL, cm(f"cm-{i}", value=str(i)))
    # updates, patches and deletes are writes too
    res = sb.request(CTX, "PATCH", f"{CM_URL}/cm-1", {"data": {"value": "patched"}},
                     content_type="application/merge-patch+json")
    assert res.status == 200, res
    got = sb.request(CTX, "GET", f"{CM_URL}/cm-2").json
    got["data"] = {"value": "replaced"}
    assert sb.request(CTX, "PUT", f"{CM_URL}/cm-2", got).status == 200
    assert sb.request(CTX, "DELETE", f"{CM_URL}/cm-3").status == 200
    dep = yaml.safe_load((DATA / "deployment.yaml").read_text())
    create(sb, f"/apis/apps/v1/namespaces/{NS}/deployments", dep)
    create(sb, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
           yaml.safe_load((DATA / "widget-crd.yaml").read_text()))
    wait_for(lambda: sb.request(CTX, "GET", WIDGETS_URL).status == 200, timeout=30, message="widgets served")
    create(sb, WIDGETS_URL, yaml.safe_load((DATA / "widget.yaml").read_text()))


def test_a_clean_restart_keeps_everything(sandbox_factory) -> None:
    sb = sandbox_factory([CTX])
    populate(sb)
    cms, widgets = objects(sb, CM_URL), objects(sb, WIDGETS_URL)
    deployments = objects(sb, f"/apis/apps/v1/namespaces/{NS}/deployments")
    rv_before = current_rv(sb)
    kubeconfig_before = sb.kubeconfig.read_text()
    ports_before = sb.ports

    sb.restart()

    assert sb.kubeconfig.read_text() == kubeconfig_before, "the kubeconfig users hold must stay valid"
    assert sb.ports == ports_before
    assert objects(sb, CM_URL) == cms
    assert cms["cm-1"][2] == {"value": "patched"} and cms["cm-2"][2] == {"value": "replaced"}
    assert "cm-3" not in cms
    assert objects(sb, f"/apis/apps/v1/namespaces/{NS}/deployments").keys() == deployments.keys()
    assert objects(sb, WIDGETS_URL) == widgets, "custom resources (and their CRD) come back"

    after = create(sb, CM_URL, cm("after-restart"))
    assert int(after["metadata"]["resourceVersion"]) > rv_before, "resourceVersions keep increasing"


@pytest.mark.kubectl
def test_kubectl_works_unchanged_after_a_restart(sandbox_factory) -> None:
    sb = sandbox_factory([CTX])
    sb.kubectl_ok(CTX, "create", "-f", "-",
                  input=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}))
    sb.kubectl_ok(CTX, "apply", "-n", NS, "-f", "-",
                  input=json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "survivor"},
                                    "data": {"a": "1"}}))
    sb.restart()
    assert sb.kubectl_ok(CTX, "get", "configmap", "survivor", "-n", NS, "-o", "jsonpath={.data.a}") == "1"


def test_kill_9_loses_no_acknowledged_write(sandbox_factory) -> None:
    sb = sandbox_factory([CTX])
    populate(sb)
    acked: dict[str, int] = {}
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            try:
                res = sb.request(CTX, "POST", CM_URL, cm(f"w-{i:05d}", n=str(i)), timeout=5)
            except (OSError, http.client.HTTPException):
                return                      # the server is gone: this write was never acknowledged
            if res.status == 201:
                acked[res.json["metadata"]["name"]] = int(res.json["metadata"]["resourceVersion"])
            i += 1

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(acked) >= 40, timeout=60, message="40 acknowledged writes")
        sb.kill9()                          # while the writer is still writing
        thread.join(timeout=30)
        assert not thread.is_alive()
    finally:
        stop.set()
    assert acked, "no write was acknowledged"
    last_acked = max(acked.values())

    sb.up()

    stored = objects(sb, CM_URL)
    missing = sorted(set(acked) - set(stored))
    assert not missing, f"acknowledged writes lost by kill -9: {missing[:10]} (of {len(missing)})"
    for name, rv in acked.items():
        assert int(stored[name][1]) == rv and stored[name][2] == {"n": str(int(name[2:]))}
    assert stored["cm-1"][2] == {"value": "patched"} and "cm-3" not in stored

    after = create(sb, CM_URL, cm("after-crash"))
    assert int(after["metadata"]["resourceVersion"]) > last_acked, "resourceVersions keep increasing"

    # and a second crash right after a restart loses nothing either
    sb.kill9()
    sb.up()
    assert "after-crash" in objects(sb, CM_URL)
