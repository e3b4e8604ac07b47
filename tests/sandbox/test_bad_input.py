"""Bad input to the sandbox's API: each request gets a 4xx `Status` with a clear message, the server
keeps answering, and the stored state is exactly what it was before (compared list by list)."""

from __future__ import annotations

import json

import pytest
import yaml

from ._helpers import DATA, HttpResult, Sandbox, running_sandbox, wait_for

CTX = "a"
NS = "bad"
CM_URL = f"/api/v1/namespaces/{NS}/configmaps"
WIDGETS_URL = f"/apis/example.com/v1/namespaces/{NS}/widgets"


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory):
    with running_sandbox(tmp_path_factory.mktemp("bad-input"), [CTX]) as sandbox:
        assert sandbox.request(CTX, "POST", "/api/v1/namespaces",
                               {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}).status == 201
        keep = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep", "labels": {"a": "b"}},
                "data": {"k": "v"}}
        assert sandbox.request(CTX, "POST", CM_URL, keep).status == 201
        crd = yaml.safe_load((DATA / "widget-crd.yaml").read_text())
        assert sandbox.request(CTX, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201
        wait_for(lambda: sandbox.request(CTX, "GET", WIDGETS_URL).status == 200, timeout=30,
                 message="the Widget CRD to be served")
        widget = yaml.safe_load((DATA / "widget.yaml").read_text())
        assert sandbox.request(CTX, "POST", WIDGETS_URL, widget).status == 201
        yield sandbox


def snapshot(sb: Sandbox) -> dict[str, list]:
    """Every object the tests could touch, with its uid and resourceVersion."""
    out = {}
    for path in ("/api/v1/namespaces", "/api/v1/configmaps", "/api/v1/secrets",
                 "/apis/apps/v1/deployments", "/apis/example.com/v1/widgets"):
        res = sb.request(CTX, "GET", path)
        assert res.status == 200, res
        out[path] = sorted((i["metadata"].get("namespace", ""), i["metadata"]["name"], i["metadata"]["uid"],
                            i["metadata"]["resourceVersion"], json.dumps(i.get("data") or i.get("spec"), sort_keys=True))
                           for i in res.json["items"])
    return out


@pytest.fixture(autouse=True)
def state_unchanged(sb: Sandbox):
    before = snapshot(sb)
    yield
    assert sb.request(CTX, "GET", "/version").status == 200, "the server must keep running"
    assert snapshot(sb) == before, "a refused request must change nothing"


def assert_status(res: HttpResult, code: int, reason: str | None = None) -> dict:
    assert res.status == code, res
    assert res.headers.get("content-type", "").startswith("application/json"), res.headers
    body = res.json
    assert body["kind"] == "Status" and body["apiVersion"] == "v1", body
    assert body["status"] == "Failure" and body["code"] == code, body
    if reason:
        assert body["reason"] == reason, body
    assert body["message"], "the message must say what was wrong"
    return body


def cm(name: str, **extra) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **extra}, "data": {"x": "1"}}


# ---- bodies that do not parse --------------------------------------------------------------------

def test_malformed_json_body(sb: Sandbox) -> None:
    res = sb.request(CTX, "POST", CM_URL, '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"',
                     content_type="application/json")
    body = assert_status(res, 400, "BadRequest")
    assert "json" in body["message"].lower() or "unexpected end" in body["message"].lower(), body["message"]


def test_malformed_yaml_body(sb: Sandbox) -> None:
    res = sb.request(CTX, "POST", CM_URL, "apiVersion: v1\nkind: ConfigMap\nmetadata: [name: x\n",
                     content_type="application/yaml")
    body = assert_status(res, 400, "BadRequest")
    assert "yaml" in body["message"].lower(), body["message"]


def test_well_formed_yaml_body_is_accepted_and_then_removed(sb: Sandbox) -> None:
    """The control case for the YAML test above: the server does read YAML bodies."""
    res = sb.request(CTX, "POST", CM_URL, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n",
                     content_type="application/yaml")
    assert res.status == 201, res
    assert sb.request(CTX, "DELETE", f"{CM_URL}/from-yaml").status == 200


@pytest.mark.parametrize("body", ["[1, 2, 3]", '"just a string"', "42", "null", ""])
def test_a_body_that_is_not_an_object(sb: Sandbox, body: str) -> None:
    res = sb.request(CTX, "POST", CM_URL, body, content_type="application/json")
    assert 400 <= res.status < 500, res
    assert_status(res, res.status)


def test_unsupported_content_type(sb: Sandbox) -> None:
    res = sb.request(CTX, "POST", CM_URL, json.dumps(cm("plain")), content_type="text/plain")
    assert_status(res, 415, "UnsupportedMediaType")


def test_a_patch_body_of_the_wrong_shape(sb: Sandbox) -> None:
    res = sb.request(CTX, "PATCH", f"{CM_URL}/keep", '{"op": "replace"}', content_type="application/json-patch+json")
    assert 400 <= res.status < 500, res
    assert_status(res, res.status)
    res = sb.request(CTX, "PATCH", f"{CM_URL}/keep", '{"data": ', content_type="application/merge-patch+json")
    assert_status(res, 400, "BadRequest")


def test_a_body_over_3_mib_is_refused(sb: Sandbox) -> None:
    big = cm("huge")
    big["data"] = {"blob": "x" * (3 * 1024 * 1024 + 100)}
    res = sb.request(CTX, "POST", CM_URL, big)
    body = assert_status(res, 413, "RequestEntityTooLarge")
    assert "3145728" in body["message"] or "too large" in body["message"].lower(), body["message"]

    res = sb.request(CTX, "PUT", f"{CM_URL}/keep", {**big, "metadata": {"name": "keep"}})
    assert_status(res, 413, "RequestEntityTooLarge")


# ---- bodies that do not fit the URL ---------------------------------------------------------------------

def test_a_kind_that_does_not_fit_the_url(sb: Sandbox) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "misplaced"}, "data": {}}
    res = sb.request(CTX, "POST", CM_URL, secret)
    body = assert_status(res, 400, "BadRequest")
    assert "Secret" in body["message"], body["message"]


def test_an_api_version_that_does_not_fit_the_url(sb: Sandbox) -> None:
    dep = yaml.safe_load((DATA / "deployment.yaml").read_text())
    dep["apiVersion"] = "apps/v1beta9"
    res = sb.request(CTX, "POST", f"/apis/apps/v1/namespaces/{NS}/deployments", dep)
    body = assert_status(res, 400, "BadRequest")
    assert "apps/v1beta9" in body["message"], body["message"]

    widget = yaml.safe_load((DATA / "widget.yaml").read_text())
    widget["apiVersion"] = "example.com/v2"
    res = sb.request(CTX, "POST", WIDGETS_URL, widget)
    body = assert_status(res, 400, "BadRequest")
    assert body["message"] == ("the API version in the data (example.com/v2) does not match the expected "
                               "API version (example.com/v1)"), body["message"]


def test_a_custom_resource_kind_that_does_not_fit_the_url(sb: Sandbox) -> None:
    widget = yaml.safe_load((DATA / "widget.yaml").read_text())
    widget["kind"] = "Gadget"
    res = sb.request(CTX, "POST", WIDGETS_URL, widget)
    assert res.status in (400, 422), res
    body = assert_status(res, res.status)
    assert "Gadget" in body["message"], body["message"]


def test_a_namespace_in_the_body_that_differs_from_the_url(sb: Sandbox) -> None:
    res = sb.request(CTX, "POST", CM_URL, cm("elsewhere", namespace="default"))
    body = assert_status(res, 400, "BadRequest")
    assert body["message"] == "the namespace of the provided object does not match the namespace sent on the request"


def test_a_name_in_the_body_that_differs_from_the_url(sb: Sandbox) -> None:
    current = sb.request(CTX, "GET", f"{CM_URL}/keep").json
    current["metadata"]["name"] = "other"
    res = sb.request(CTX, "PUT", f"{CM_URL}/keep", current)
    body = assert_status(res, 400, "BadRequest")
    assert body["message"] == "the name of the object (other) does not match the name on the URL (keep)"


def test_a_url_that_names_no_resource(sb: Sandbox) -> None:
    res = sb.request(CTX, "GET", "/api/v1/flurbs")
    body = assert_status(res, 404, "NotFound")
    assert body["message"] == "the server could not find the requested resource"
    res = sb.request(CTX, "POST", "/apis/nope.example.com/v1/namespaces/bad/things", cm("x"))
    assert_status(res, 404, "NotFound")


# ---- names and metadata --------------------------------------------------------------------------------

RFC1123_SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters"
RFC1123_LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters"


@pytest.mark.parametrize(("name", "fragment"), [
    ("Bad_Name", RFC1123_SUBDOMAIN),
    ("-leading-dash", RFC1123_SUBDOMAIN),
    ("trailing.", RFC1123_SUBDOMAIN),
    ("x" * 254, "must be no more than 253 characters"),
])
def test_invalid_object_names(sb: Sandbox, name: str, fragment: str) -> None:
    res = sb.request(CTX, "POST", CM_URL, cm(name))
    body = assert_status(res, 422, "Invalid")
    assert body["message"].startswith(f'ConfigMap "{name}" is invalid: metadata.name: Invalid value: "{name}": ')
    assert fragment in body["message"], body["message"]
    assert body["details"]["kind"] == "ConfigMap" and body["details"]["name"] == name
    assert [c["field"] for c in body["details"]["causes"]] == ["metadata.name"]


@pytest.mark.parametrize(("name", "fragment"), [("Has_Caps", RFC1123_LABEL), ("has.dots", "must not contain dots")])
def test_invalid_namespace_name_must_be_a_label(sb: Sandbox, name: str, fragment: str) -> None:
    res = sb.request(CTX, "POST", "/api/v1/namespaces",
                     {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    body = assert_status(res, 422, "Invalid")
    assert body["message"].startswith(f'Namespace "{name}" is invalid: metadata.name: Invalid value: "{name}": ')
    assert fragment in body["message"], body["message"]


def test_missing_name(sb: Sandbox) -> None:
    res = sb.request(CTX, "POST", CM_URL, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    body = assert_status(res, 422, "Invalid")
    assert "metadata.name: Required value: name or generateName is required" in body["message"], body["message"]


def test_invalid_label_value(sb: Sandbox) -> None:
    res = sb.request(CTX, "POST", CM_URL, cm("labelled", labels={"tier": "not valid!"}))
    body = assert_status(res, 422, "Invalid")
    assert 'metadata.labels: Invalid value: "not valid!"' in body["message"], body["message"]


def test_invalid_label_selector(sb: Sandbox) -> None:
    res = sb.request(CTX, "GET", f"{CM_URL}?labelSelector=tier%20in%20(a")
    assert_status(res, 400, "BadRequest")


def test_a_custom_resource_against_its_schema(sb: Sandbox) -> None:
    widget = yaml.safe_load((DATA / "widget.yaml").read_text())
    widget["metadata"]["name"] = "negative"
    widget["spec"]["replicas"] = -1
    res = sb.request(CTX, "POST", WIDGETS_URL, widget)
    body = assert_status(res, 422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "spec.replicas"
    assert "spec.replicas in body should be greater than or equal to 0" in body["message"], body["message"]


def test_stale_resource_version_on_update_is_a_conflict(sb: Sandbox) -> None:
    current = sb.request(CTX, "GET", f"{CM_URL}/keep").json
    current["metadata"]["resourceVersion"] = "1"
    current["data"] = {"k": "overwritten"}
    res = sb.request(CTX, "PUT", f"{CM_URL}/keep", current)
    body = assert_status(res, 409, "Conflict")
    assert body["message"] == ('Operation cannot be fulfilled on configmaps "keep": the object has been modified; '
                               "please apply your changes to the latest version and try again")
