"""Object validation with the exact messages kube-apiserver gives (what `kubectl create` prints)."""

from __future__ import annotations

import pytest

from kstellar_tui.sandbox.apiserver.errors import ApiError, invalid
from kstellar_tui.sandbox.apiserver.resources import BUILTIN_TYPES, ResourceType
from kstellar_tui.sandbox.apiserver.validation import ensure_namespace, name_errors, validate_object


def _builtin(group: str, kind: str) -> ResourceType:
    return next(rt for rt in BUILTIN_TYPES if (rt.group, rt.kind) == (group, kind))


CONFIGMAP = _builtin("", "ConfigMap")
DEPLOYMENT = _builtin("apps", "Deployment")
NAMESPACE = _builtin("", "Namespace")
SERVICE = _builtin("", "Service")
CLUSTERROLE = _builtin("rbac.authorization.k8s.io", "ClusterRole")
ROLEBINDING = _builtin("rbac.authorization.k8s.io", "RoleBinding")
CRD = _builtin("apiextensions.k8s.io", "CustomResourceDefinition")
WIDGET = ResourceType(group="example.com", version="v1", kind="Widget", plural="widgets", singular="widget",
                      namespaced=True, builtin=False)

SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
             "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
             r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
         "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
           "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
           "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
LABEL_NAME_PART = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
                   "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                   "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
LABEL_VALUE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
               "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
               "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def _obj(rt: ResourceType, **metadata) -> dict:
    return {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": metadata}


@pytest.mark.parametrize("rt, name, expected", [
    pytest.param(CONFIGMAP, "web.config-1", [], id="subdomain-ok"),
    pytest.param(CONFIGMAP, "Foo", [SUBDOMAIN], id="subdomain-uppercase"),
    pytest.param(CONFIGMAP, "-foo", [SUBDOMAIN], id="subdomain-leading-dash"),
    pytest.param(CONFIGMAP, "foo_bar", [SUBDOMAIN], id="subdomain-underscore"),
    pytest.param(CONFIGMAP, "a" * 253, [], id="subdomain-253-ok"),
    pytest.param(CONFIGMAP, "a" * 254, ["must be no more than 253 characters"], id="subdomain-too-long"),
    pytest.param(CONFIGMAP, "A" * 254, ["must be no more than 253 characters", SUBDOMAIN], id="subdomain-both"),
    pytest.param(NAMESPACE, "team-a", [], id="label-ok"),
    pytest.param(NAMESPACE, "team.a", ["must not contain dots"], id="label-dots"),
    pytest.param(NAMESPACE, "Team", [LABEL], id="label-uppercase"),
    pytest.param(NAMESPACE, "a" * 64, ["must be no more than 63 characters"], id="label-too-long"),
    pytest.param(SERVICE, "web", [], id="service-ok"),
    pytest.param(SERVICE, "1web", [DNS1035], id="service-starts-with-digit"),
    pytest.param(SERVICE, "web.x", [DNS1035], id="service-dots"),
    pytest.param(CLUSTERROLE, "system:controller:Foo_bar", [], id="rbac-colons-and-case-ok"),
    pytest.param(CLUSTERROLE, ".", ["may not be '.'"], id="rbac-dot"),
    pytest.param(ROLEBINDING, "..", ["may not be '..'"], id="rbac-dotdot"),
    pytest.param(ROLEBINDING, "a/b%c", ["may not contain '/'", "may not contain '%'"], id="rbac-slash-percent"),
    pytest.param(WIDGET, "Foo", [SUBDOMAIN], id="custom-resources-are-subdomains"),
])
def test_name_rules(rt, name, expected):
    assert name_errors(name, rt, {}) == expected


@pytest.mark.parametrize("rt, prefix, expected", [
    pytest.param(CONFIGMAP, "web-", [], id="trailing-dash-allowed"),
    pytest.param(CONFIGMAP, "Web-", [SUBDOMAIN], id="uppercase-still-invalid"),
    pytest.param(SERVICE, "web-", [], id="service-trailing-dash"),
    pytest.param(CLUSTERROLE, ".", [], id="rbac-prefix-may-be-dot"),
    pytest.param(CLUSTERROLE, "a/", ["may not contain '/'"], id="rbac-prefix-slash"),
])
def test_generate_name_prefixes(rt, prefix, expected):
    assert name_errors(prefix, rt, {}, prefix=True) == expected


@pytest.mark.parametrize("name, expected", [
    ("widgets.example.com", []),
    ("widget.example.com", ['must be spec.names.plural+"."+spec.group']),
    ("Widgets.example.com", [SUBDOMAIN, 'must be spec.names.plural+"."+spec.group']),
])
def test_crd_names_are_plural_dot_group(name, expected):
    crd = {"spec": {"group": "example.com", "names": {"plural": "widgets", "kind": "Widget"}}}
    assert name_errors(name, CRD, crd) == expected


@pytest.mark.parametrize("rt, obj, url_namespace, expected", [
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="default"), "default", [], id="valid"),
    pytest.param(CONFIGMAP, {"metadata": {"name": "web"}}, "default", [], id="type-meta-defaults-from-url"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="Foo", namespace="default"), None,
                 [("metadata.name", f'Invalid value: "Foo": {SUBDOMAIN}')], id="bad-name"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, namespace="default"), None,
                 [("metadata.name", "Required value: name or generateName is required")], id="name-required"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, generateName="web-", namespace="default"), None, [],
                 id="generate-name-instead-of-name"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, generateName="Web-", name="Web-x7k2p", namespace="default"), None,
                 [("metadata.generateName", f'Invalid value: "Web-": {SUBDOMAIN}'),
                  ("metadata.name", f'Invalid value: "Web-x7k2p": {SUBDOMAIN}')], id="generated-name-validated"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web"), None, [("metadata.namespace", "Required value")],
                 id="namespace-required"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="Team.A"), None,
                 [("metadata.namespace", f'Invalid value: "Team.A": {LABEL}')], id="namespace-invalid"),
    pytest.param(CLUSTERROLE, _obj(CLUSTERROLE, name="viewer", namespace="default"), None,
                 [("metadata.namespace", "Forbidden: not allowed on this type")], id="cluster-scoped-with-namespace"),
    pytest.param(NAMESPACE, _obj(NAMESPACE, name="team.a"), None,
                 [("metadata.name", 'Invalid value: "team.a": must not contain dots')], id="namespace-object-name"),
    pytest.param(DEPLOYMENT, {**_obj(DEPLOYMENT, name="Bad"), "kind": "StatefulSet"}, "default",
                 [("kind", 'Invalid value: "StatefulSet": must be Deployment')], id="kind-mismatch-reported-alone"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="default",
                                 labels={"app.kubernetes.io/name": "web", "empty": "", "bad key": "v"}), None,
                 [("metadata.labels", f'Invalid value: "bad key": {LABEL_NAME_PART}')], id="label-key"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="default", labels={"app": "-web"}), None,
                 [("metadata.labels", f'Invalid value: "-web": {LABEL_VALUE}')], id="label-value"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="default", labels={"app": "x" * 64}), None,
                 [("metadata.labels", f'Invalid value: "{"x" * 64}": must be no more than 63 characters')],
                 id="label-value-too-long"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="default", labels={"replicas": 3}), None,
                 [("metadata.labels", "Invalid value: 3: must be a string")], id="label-value-not-a-string"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="default",
                                 annotations={"Example.COM/Owner": "free text: anything goes!", "bad key": ""}), None,
                 [("metadata.annotations", f'Invalid value: "bad key": {LABEL_NAME_PART}')],
                 id="annotation-keys-case-insensitive-values-free"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="default", annotations={"a": "x" * (256 * 1024)}),
                 None, [("metadata.annotations", "Too long: may not be more than 262144 bytes")],
                 id="annotations-too-large"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="default", annotations={"a": "x" * (256 * 1024 - 1)}),
                 None, [], id="annotations-at-limit"),
])
def test_validate_object(rt, obj, url_namespace, expected):
    assert validate_object(obj, rt, namespace_from_url=url_namespace) == expected


def test_causes_read_as_kubectl_prints_them():
    causes = validate_object(_obj(DEPLOYMENT, name="Foo", namespace="default"), DEPLOYMENT)
    error = invalid("Deployment.apps", "Foo", causes, group="apps", kind="Deployment")
    assert error.message == f'Deployment.apps "Foo" is invalid: metadata.name: Invalid value: "Foo": {SUBDOMAIN}'


@pytest.mark.parametrize("rt, obj, url_namespace, message", [
    pytest.param(DEPLOYMENT, {**_obj(DEPLOYMENT, name="web"), "apiVersion": "v1"}, "default",
                 "the API version in the data (v1) does not match the expected API version (apps/v1)",
                 id="api-version"),
    pytest.param(WIDGET, {**_obj(WIDGET, name="w"), "apiVersion": "example.com/v2"}, "default",
                 "the API version in the data (example.com/v2) does not match the expected API version "
                 "(example.com/v1)", id="custom-resource-version"),
    pytest.param(CONFIGMAP, _obj(CONFIGMAP, name="web", namespace="other"), "default",
                 "the namespace of the provided object does not match the namespace sent on the request",
                 id="namespace-mismatch"),
])
def test_bad_requests_are_raised(rt, obj, url_namespace, message):
    with pytest.raises(ApiError) as info:
        validate_object(obj, rt, namespace_from_url=url_namespace)
    assert (info.value.code, info.value.reason, info.value.message) == (400, "BadRequest", message)


@pytest.mark.parametrize("rt, metadata, url_namespace, expected", [
    pytest.param(CONFIGMAP, {"name": "a"}, "team", {"name": "a", "namespace": "team"}, id="filled-from-url"),
    pytest.param(CONFIGMAP, {"name": "a", "namespace": "team"}, "team", {"name": "a", "namespace": "team"}, id="same"),
    pytest.param(CONFIGMAP, {"name": "a", "namespace": "team"}, None, {"name": "a", "namespace": "team"},
                 id="kept-without-url-namespace"),
    pytest.param(CLUSTERROLE, {"name": "a", "namespace": "team"}, None, {"name": "a"}, id="cleared-for-cluster-scope"),
])
def test_ensure_namespace(rt, metadata, url_namespace, expected):
    obj = {"metadata": metadata}
    assert ensure_namespace(obj, rt, url_namespace) == {"metadata": expected}
    assert obj == {"metadata": metadata}


def test_ensure_namespace_refuses_a_contradiction():
    with pytest.raises(ApiError) as info:
        ensure_namespace({"metadata": {"namespace": "other"}}, CONFIGMAP, "team")
    assert info.value.code == 400
