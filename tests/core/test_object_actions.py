"""What the monitor's changes resolve to before any request: row keys → WDS objects, and the rule
that an edit must still be the object it opened (the writes themselves run against a sandbox in
tests/tui/test_live_sandbox.py)."""

from __future__ import annotations

import pytest

from kstellar_tui.core.manifests import load_text
from kstellar_tui.core.object_actions import ActionError, Target, _same_object, shown, target_for
from tests.core.fleet_builders import BPS, DEPLOYMENTS, KEY, deployment

NGINX = Target("apps/v1", "Deployment", "nginx", "nginx-deployment")


def test_row_keys_resolve_to_wds_objects_or_say_why_not(store):
    store.event("wds1", DEPLOYMENTS, "ADDED", deployment())
    store.event("wds1", BPS, "ADDED", {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
                                       "metadata": {"name": "nginx-bpolicy"}})
    assert target_for(store, KEY) == NGINX
    assert target_for(store, "control.kubestellar.io/bindingpolicies//nginx-bpolicy") == Target(
        "control.kubestellar.io/v1alpha1", "BindingPolicy", "", "nginx-bpolicy")
    with pytest.raises(ActionError, match="gone is not in the WDS"):
        target_for(store, "apps/deployments/nginx/gone")
    assert NGINX.as_object() == {"apiVersion": "apps/v1", "kind": "Deployment",
                                 "metadata": {"name": "nginx-deployment", "namespace": "nginx"}}


def manifest(api_version="apps/v1", kind="Deployment", name="nginx-deployment", namespace="nginx") -> str:
    where = f", namespace: {namespace}" if namespace else ""
    return f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: {name}{where}}}\n"


@pytest.mark.parametrize(("text", "problem"), [
    (manifest(), None),
    (manifest(api_version="apps/v1beta1"), None),  # another version of the same kind is the same object
    ("spec: [", None),  # a YAML error is lint's to report, with its line
    (manifest(name="other"), "names Deployment nginx/other"),
    (manifest(namespace=""), "names Deployment nginx-deployment,"),
    (manifest(kind="StatefulSet"), "names StatefulSet"),
    (manifest() + "---\n" + manifest(name="b"), "holds 2 documents"),
])
def test_an_edit_must_stay_the_object_it_opened(text, problem):
    if problem is None:
        _same_object(load_text(text, "edit"), NGINX)
    else:
        with pytest.raises(ActionError, match=problem):
            _same_object(load_text(text, "edit"), NGINX)


def test_shown_yaml_hides_managed_fields_only():
    obj = {"kind": "X", "metadata": {"name": "a", "managedFields": [{}], "uid": "u"}, "status": {"s": 1}}
    assert shown(obj) == {"kind": "X", "metadata": {"name": "a", "uid": "u"}, "status": {"s": 1}}

