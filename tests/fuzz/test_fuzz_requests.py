"""Requests of any shape over real HTTPS to one running sandbox: paths, query options, headers
and bodies. Every well-formed HTTP request gets an answer (never a dropped connection), never an
internal error (500), and every 4xx is a Kubernetes Status; malformed HTTP is refused without
harming the server."""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from tests.sandbox._helpers import Sandbox, new_base_dir, running_sandbox

from ._fuzz import ALIAS_BOMB, TIMEOUT, budget, json_values, selector_noise, yaml_noise

pytestmark = TIMEOUT
CLUSTER = "fuzz"
NS = "fuzzing"
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "target"}, "data": {"a": "1"}}
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "target"},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "t"}},
                       "template": {"metadata": {"labels": {"app": "t"}},
                                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the module, with objects for reads, patches and deletes to find."""
    with running_sandbox(new_base_dir("fuzz"), [CLUSTER]) as sb:
        for url, body in (("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}),
                          (f"/api/v1/namespaces/{NS}/configmaps", CM),
                          (f"/apis/apps/v1/namespaces/{NS}/deployments", DEPLOYMENT)):
            assert sb.request(CLUSTER, "POST", url, body).status == 201
        yield sb


@pytest.fixture
def no_errors_logged(sandbox: Sandbox) -> Iterator[None]:
    """Fails the test if the sandbox logged a traceback meanwhile (aiohttp's own errors never reach a 500)."""
    log = sandbox.state_dir / "sandbox.log"
    start = len(log.read_text())
    yield
    added = log.read_text()[start:]
    assert "Traceback" not in added, "the sandbox logged an error:\n" + added[added.index("Traceback") - 300:][:3000]


segments = st.sampled_from([
    "api", "apis", "v1", "apps", "namespaces", NS, "default", "configmaps", "deployments", "target", "status",
    "scale", "pods", "nodes", "finalize", "approval", "openapi", "v3", "version", "example.com", "..", ".", "",
    "%2F", "%00", "x" * 300, "*",
]) | st.text(max_size=6)
paths = st.one_of(
    st.lists(segments, max_size=8).map(lambda parts: "/" + "/".join(parts)),
    st.sampled_from([f"/api/v1/namespaces/{NS}/configmaps", f"/api/v1/namespaces/{NS}/configmaps/target",
                     f"/apis/apps/v1/namespaces/{NS}/deployments/target",
                     f"/apis/apps/v1/namespaces/{NS}/deployments/target/scale",
                     f"/api/v1/namespaces/{NS}", "/api/v1/configmaps", "/apis/apps/v1/deployments"]),
)
option_values = st.sampled_from(["", "0", "1", "-1", "true", "All", "abc", "99999999999999999999", "10",
                                 "Strict", "Foreground", "Orphan", "Table", "NotOlderThan", "Exact"]) | \
    st.integers(-5, 2**70).map(str) | st.text(max_size=12) | selector_noise
queries = st.dictionaries(
    st.sampled_from(["labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "resourceVersionMatch",
                     "watch", "timeoutSeconds", "dryRun", "fieldManager", "fieldValidation", "propagationPolicy",
                     "gracePeriodSeconds", "orphanDependents", "allowWatchBookmarks", "sendInitialEvents",
                     "includeObject", "force", "pretty", "container", "x"]) | st.text(max_size=4),
    option_values, max_size=5)
MEDIA_TYPES = ["application/json", "application/yaml", "application/merge-patch+json",
               "application/strategic-merge-patch+json", "application/json-patch+json",
               "application/apply-patch+yaml", "application/vnd.kubernetes.protobuf", "text/plain",
               "application/json; charset=utf-16", "multipart/form-data; boundary=x", "garbage", ""]
ACCEPTS = ["application/json", "application/json;as=Table;v=v1;g=meta.k8s.io", "application/yaml",
           "application/vnd.kubernetes.protobuf", "*/*", "application/json;as=Nonsense", "garbage"]
objects = st.builds(lambda data, name: {**CM, "metadata": {"name": name}, "data": data},
                    json_values, st.sampled_from(["target", "new", "Bad_Name", ""]) | st.text(max_size=5))
bodies = st.one_of(
    st.none(),
    json_values.map(lambda v: json.dumps(v).encode()),
    objects.map(lambda v: json.dumps(v).encode()),
    objects.map(lambda v: yaml.safe_dump(v).encode()),
    objects.map(lambda v: json.dumps(v).encode()).flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n])),
    st.lists(st.fixed_dictionaries({"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "x"]),
                                    "path": st.sampled_from(["/data/a", "/data", "/metadata/labels/x", "", "/-",
                                                             "/spec/replicas", "/data/~1", "a"])},
                                   optional={"value": json_values, "from": st.sampled_from(["/data/a", "/x"])}),
             max_size=3).map(lambda v: json.dumps(v).encode()),
    yaml_noise.map(str.encode),
    st.binary(max_size=64),
)
extra_headers = st.dictionaries(st.sampled_from([
    "Content-Encoding", "Accept-Encoding", "User-Agent", "Impersonate-User", "Expect", "X-Forwarded-For",
    "Connection", "Range", "If-Match"]),
    st.sampled_from(["gzip", "deflate", "br", "identity", "100-continue", "close", "bytes=0-1", "*", "",
                     "kubectl/v1.32 (linux/amd64)", "system:admin", "ü"]), max_size=3)
requests = st.fixed_dictionaries({
    "method": st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]),
    "path": paths, "query": queries, "content_type": st.sampled_from(MEDIA_TYPES),
    "accept": st.sampled_from(ACCEPTS), "body": bodies, "extra": extra_headers,
    "authorization": st.sampled_from(["sandbox", "sandbox", "sandbox", None, "Bearer", "Bearer x", "Basic YTpi",
                                      "bearer  {token} ", "{token}", "Bearer {token}{token}"]),
})


def send(sb: Sandbox, method: str, path: str, query: dict, content_type: str, accept: str,
         body: bytes | None, extra: dict[str, str] | None = None,
         authorization: str | None = "sandbox") -> tuple[int, bytes]:
    """One request on a fresh connection; a watch that was accepted is left unread."""
    url = quote(path, safe="/%") + ("?" + urlencode(query) if query else "")
    headers = {"Accept": accept, **(extra or {})}
    if authorization:
        headers["Authorization"] = (f"Bearer {sb.token}" if authorization == "sandbox"
                                    else authorization.replace("{token}", sb.token))
    if content_type:
        headers["Content-Type"] = content_type
    conn = http.client.HTTPSConnection("127.0.0.1", sb.port(CLUSTER), context=sb.ssl_context(), timeout=30)
    try:
        conn.request(method, url, body=body, headers=headers)
        response = conn.getresponse()
        streaming = response.status == 200 and "watch" in query and response.getheader("Transfer-Encoding") == "chunked"
        return response.status, b"" if streaming else response.read()
    finally:
        conn.close()


def assert_kubernetes_answer(status: int, body: bytes, method: str) -> None:
    assert not (status == 500 and b"Internal error occurred" in body), f"the server crashed: {body[:300]!r}"
    # 504: a watch from a resourceVersion not reached yet; an untyped 500: some strategic merge patches, as upstream
    assert status < 500 or status == 504 or (status == 500 and json.loads(body).get("reason") == ""), (
        status, body[:300])
    if status >= 400 and method != "HEAD":
        status_doc = json.loads(body)
        assert status_doc["kind"] == "Status" and status_doc["code"] == status, status_doc
        assert status_doc["message"], "a refusal says why"


@given(requests)
@example({"method": "POST", "path": f"/api/v1/namespaces/{NS}/configmaps", "query": {},
          "content_type": "application/yaml", "accept": "application/json", "body": ALIAS_BOMB.encode()})
@example({"method": "POST", "path": f"/api/v1/namespaces/{NS}/configmaps", "query": {},
          "content_type": "application/json", "accept": "application/json",
          "body": b'{"metadata": {"name": "deep"}, "data": ' + b"[" * 1000 + b"]" * 1000 + b"}"})
@example({"method": "PATCH", "path": f"/api/v1/namespaces/{NS}/configmaps/target", "query": {},
          "content_type": "application/merge-patch+json", "accept": "application/json",
          "body": b'{"data": ' + b'{"a":' * 900 + b"1" + b"}" * 900 + b"}"})
@example({"method": "GET", "path": f"/api/v1/namespaces/{NS}/configmaps",
          "query": {"watch": "1", "resourceVersion": "1e3"},
          "content_type": "", "accept": "application/json", "body": None})
@example({"method": "GET", "path": "/", "query": {}, "content_type": "", "accept": "application/json", "body": None,
          "extra": {"Expect": "ü"}, "authorization": "sandbox"})
@example({"method": "POST", "path": f"/api/v1/namespaces/{NS}/configmaps", "query": {},
          "content_type": "application/json", "accept": "application/json", "body": b"{}",
          "extra": {"Content-Encoding": "br"}, "authorization": "sandbox"})
@example({"method": "GET", "path": "/\n", "query": {}, "content_type": "", "accept": "application/json", "body": None,
          "extra": {"Expect": "gzip"}, "authorization": "sandbox"})
@budget(250)
def test_any_request_gets_a_kubernetes_answer(sandbox: Sandbox, no_errors_logged: None, req: dict) -> None:
    status, body = send(sandbox, **req)
    assert_kubernetes_answer(status, body, req["method"])


@pytest.mark.xfail(strict=True, reason=(
    "found by the request fuzzer, not fixed: built-in objects are not type-checked, so a Deployment whose "
    "container name is a list is stored, and the workload controller then fails on its Pods in a loop"))
def test_a_built_in_object_with_a_field_of_the_wrong_type_is_refused(sandbox: Sandbox) -> None:
    spec = DEPLOYMENT["spec"]
    body = {**DEPLOYMENT, "metadata": {"name": "mistyped"},
            "spec": {**spec, "template": {**spec["template"], "spec": {"containers": [{"name": ["c"], "image": "x"}]}}}}
    res = sandbox.request(CLUSTER, "POST", f"/apis/apps/v1/namespaces/{NS}/deployments?dryRun=All", body)
    assert res.status == 400, res  # upstream: "cannot unmarshal array into Go struct field Container...name"


@given(st.binary(max_size=300) | st.sampled_from([
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\nshort",
    b"POST /api/v1/namespaces HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X: " + b"y" * 20000 + b"\r\n\r\n",
    b"\x16\x03\x01\x00\x05hello",
]))
@budget(40)
def test_malformed_http_is_refused_and_the_server_keeps_serving(sandbox: Sandbox, raw: bytes) -> None:
    # a request still incomplete gets no answer: wait briefly, then go away as a client would
    with socket.create_connection(("127.0.0.1", sandbox.port(CLUSTER)), timeout=1.5) as plain, \
            sandbox.ssl_context().wrap_socket(plain, server_hostname="127.0.0.1") as tls:
        tls.sendall(raw)
        try:
            answer = tls.recv(200)
        except (TimeoutError, ssl.SSLError, ConnectionError):
            answer = b""
    assert answer == b"" or re.match(rb"HTTP/1\.[01] 4\d\d ", answer), answer
    assert sandbox.request(CLUSTER, "GET", "/version", timeout=10).status == 200
