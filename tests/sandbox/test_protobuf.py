"""Protobuf request bodies: the wire reader, and the bytes the real kubectl sends, decoded.

kubectl 1.32's typed commands send `application/vnd.kubernetes.protobuf`. A small HTTP server on
127.0.0.1 stands in for the API server (discovery, the objects a command reads, a record of every
request), so each test decodes exactly what kubectl sent. Where kubectl can print the same object
with `--dry-run=client -o json`, that JSON — what the JSON path would receive — is the expectation.
The last tests run the commands against a real sandbox.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kstellar_tui.sandbox.apiserver import protobuf
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.protobuf import jsonshape, schema, wire

from ._helpers import KUBECTL, Sandbox, running_sandbox

PB = protobuf.MEDIA_TYPE
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# ---- a protobuf writer, for building test messages ------------------------------------------------

def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def encode_field(number: int, wire_type: int, value: int | bytes) -> bytes:
    key = varint(number << 3 | wire_type)
    if wire_type == wire.VARINT:
        return key + varint(value)
    if wire_type == wire.LENGTH_DELIMITED:
        return key + varint(len(value)) + value
    return key + value


def msg(*fields: tuple[int, int | str | bytes]) -> bytes:
    """A message from (number, value): ints as varints, str and bytes length-delimited."""
    out = b""
    for number, value in fields:
        if isinstance(value, int):
            out += encode_field(number, wire.VARINT, value)
        else:
            out += encode_field(number, wire.LENGTH_DELIMITED, value.encode() if isinstance(value, str) else value)
    return out


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return protobuf.envelope.MAGIC + msg((1, msg((1, api_version), (2, kind))), (2, raw), (3, b""), (4, b""))


# ---- the wire reader --------------------------------------------------------------------------------

wire_field = st.one_of(
    st.tuples(st.integers(1, 2**29 - 1), st.just(wire.VARINT), st.integers(0, 2**64 - 1)),
    st.tuples(st.integers(1, 2**29 - 1), st.just(wire.LENGTH_DELIMITED), st.binary(max_size=300)),
    st.tuples(st.integers(1, 2**29 - 1), st.just(wire.FIXED64), st.binary(min_size=8, max_size=8)),
    st.tuples(st.integers(1, 2**29 - 1), st.just(wire.FIXED32), st.binary(min_size=4, max_size=4)),
)


@given(st.lists(wire_field, max_size=20))
def test_wire_reader_reads_back_what_was_written(fields: list[tuple[int, int, int | bytes]]) -> None:
    data = b"".join(encode_field(*f) for f in fields)
    assert list(wire.fields(data)) == fields


@given(st.integers(-(2**31), 2**31 - 1))
def test_negative_int32_round_trips_through_its_ten_byte_varint(value: int) -> None:
    (_, _, raw), = wire.fields(encode_field(1, wire.VARINT, value))
    assert wire.signed(raw, 32) == value
    assert wire.signed(raw, 64) == value


@given(st.lists(st.integers(0, 2**64 - 1), max_size=20))
def test_packed_varints_read_back(values: list[int]) -> None:
    assert list(wire.packed_varints(b"".join(map(varint, values)))) == values


@pytest.mark.parametrize(("data", "reason"), [
    (b"\x08", "truncated varint"),
    (b"\x08" + b"\xff" * 10 + b"\x01", "longer than 10 bytes"),
    (b"\x12\x05abc", "truncated"),
    (b"\x0b", "wire type 3"),
    (b"\x00\x01", "field number 0"),
])
def test_wire_reader_rejects_malformed_bytes(data: bytes, reason: str) -> None:
    with pytest.raises(wire.ProtobufError, match=reason):
        list(wire.fields(data))


# ---- decoding: Go's JSON rules ------------------------------------------------------------------------

def test_every_table_parses_and_refers_only_to_known_types() -> None:
    assert schema.kind_message("apps/v1", "Deployment") == "apps.v1.Deployment"
    assert schema.kind_message("batch/v1", "DeleteOptions") == "meta.v1.DeleteOptions"
    assert schema.kind_message("apps/v1", "Widget") is None
    assert all(isinstance(f, schema.Field) for table in schema.MESSAGES.values() for f in table)


def test_zero_values_follow_go_json_pointers_omitempty_and_structs() -> None:
    # replicas is *int32: a sent 0 stays; minReadySeconds is int32,omitempty: 0 is dropped;
    # selector is a pointer without omitempty: null when absent; strategy is a struct: always there
    spec = jsonshape.decode("apps.v1.DeploymentSpec", msg((1, 0), (5, 0)))
    assert spec["replicas"] == 0
    assert "minReadySeconds" not in spec
    assert spec["selector"] is None
    assert spec["strategy"] == {}
    assert spec["template"] == {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}}


def test_unknown_fields_are_skipped_like_upstream() -> None:
    known = msg((1, "web"))
    assert jsonshape.decode("meta.v1.ObjectMeta", known + msg((99, "later-field"), (98, 7))) == \
        jsonshape.decode("meta.v1.ObjectMeta", known)


def test_repeated_scalars_read_packed_or_not() -> None:
    unpacked = msg((4, 5), (4, 2**64 - 1))
    packed = msg((4, varint(5) + varint(2**64 - 1)))
    for data in (unpacked, packed):
        assert jsonshape.decode("core.v1.PodSecurityContext", data)["supplementalGroups"] == [5, -1]


def test_special_types_have_their_json_forms() -> None:
    meta = jsonshape.decode("meta.v1.ObjectMeta", msg((8, msg((1, 1_700_000_000), (2, 5))), (9, b"")))
    assert meta["creationTimestamp"] == "2023-11-14T22:13:20Z"  # seconds only, as upstream reads it
    assert meta["deletionTimestamp"] is None  # a sent but zero *Time
    port = jsonshape.decode("core.v1.ServicePort", msg((4, msg((1, 1), (3, "http")))))
    assert port == {"port": 0, "targetPort": "http"}
    limits = jsonshape.decode("core.v1.ResourceRequirements", msg((1, msg((1, "cpu"), (2, msg((1, "250m")))))))
    assert limits == {"limits": {"cpu": "250m"}}
    entry = msg((17, msg((3, "v1"), (7, msg((1, b'{"f:metadata":{}}'))))))
    assert jsonshape.decode("meta.v1.ObjectMeta", entry)["managedFields"] == \
        [{"apiVersion": "v1", "fieldsV1": {"f:metadata": {}}}]


def test_map_of_lists_and_bytes() -> None:
    spec = jsonshape.decode("certificates.v1.CertificateSigningRequestSpec",
                            msg((1, b"\x00\xff"), (6, msg((1, "team"), (2, msg((1, "a"), (1, "b")))))))
    assert spec["request"] == base64.b64encode(b"\x00\xff").decode()
    assert spec["extra"] == {"team": ["a", "b"]}


@pytest.mark.parametrize(("message", "data", "reason"), [
    ("meta.v1.ObjectMeta", msg((1, 5)), "ObjectMeta.name: expected a length-delimited value"),
    ("apps.v1.DeploymentSpec", msg((1, "three")), "replicas: expected a varint value"),
    ("core.v1.ServicePort", msg((4, msg((1, 7)))), "IntOrString type 7"),
    ("core.v1.ResourceRequirements", msg((1, msg((1, "cpu"), (2, msg((1, "")))))), "quantity cannot be empty"),
    ("meta.v1.ManagedFieldsEntry", msg((7, msg((1, b"{not json")))), "not JSON"),
    ("meta.v1.ObjectMeta", msg((8, msg((1, 10**15)))), "not a time"),
])
def test_malformed_values_are_errors_naming_the_field(message: str, data: bytes, reason: str) -> None:
    with pytest.raises(wire.ProtobufError, match=reason):
        jsonshape.decode(message, data)


# ---- the envelope and decode_body ------------------------------------------------------------------------

def test_decode_body_adds_kind_and_api_version_from_the_envelope() -> None:
    body = envelope("v1", "ConfigMap", msg((1, msg((1, "cm"))), (2, msg((1, "a"), (2, "b")))))
    assert protobuf.decode_body(PB, body) == {
        "kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cm", "creationTimestamp": None},
        "data": {"a": "b"},
    }


@pytest.mark.parametrize(("body", "code", "reason"), [
    (b'{"kind": "ConfigMap"}', 400, "protobuf prefix"),
    (protobuf.envelope.MAGIC, 400, "apiVersion and kind"),
    (envelope("v1", "ConfigMap", b"\x0a\x05ab"), 400, "truncated"),
    (envelope("example.com/v1", "Widget", b""), 415, "Widget"),
    (protobuf.envelope.MAGIC + msg((1, msg((1, "v1"), (2, "Secret"))), (3, "gzip")), 415, "gzip"),
])
def test_decode_body_errors_are_clean_api_errors(body: bytes, code: int, reason: str) -> None:
    with pytest.raises(ApiError, match=reason) as caught:
        protobuf.decode_body(PB, body)
    assert caught.value.code == code


def test_decode_body_refuses_other_media_types() -> None:
    with pytest.raises(ApiError) as caught:
        protobuf.decode_body("application/json", b"{}")
    assert caught.value.code == 415


@given(st.sampled_from(sorted(schema.KINDS)), st.binary(max_size=200))
def test_any_bytes_give_an_object_or_a_4xx(kind: tuple[str, str], raw: bytes) -> None:
    api_version = "v1" if kind[0] == schema.ANY_VERSION else kind[0]
    try:
        obj = protobuf.decode_body(PB, envelope(api_version, kind[1], raw))
    except ApiError as error:
        assert error.code == 400
    else:
        assert obj["kind"] == kind[1]


# ---- a stand-in API server for the real kubectl ----------------------------------------------------------

DISCOVERY: dict[str, list[tuple[str, str, bool]]] = {  # group version -> (plural, kind, namespaced)
    "v1": [("pods", "Pod", True), ("nodes", "Node", False), ("namespaces", "Namespace", False)],
    "apps/v1": [("deployments", "Deployment", True)],
    "batch/v1": [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    "rbac.authorization.k8s.io/v1": [("roles", "Role", True), ("clusterroles", "ClusterRole", False)],
    "certificates.k8s.io/v1": [("certificatesigningrequests", "CertificateSigningRequest", False)],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


@dataclass
class Sent:
    method: str
    path: str
    content_type: str
    body: bytes


@dataclass
class FakeApiServer:
    """Serves discovery and `objects` (path -> JSON, removed by DELETE); records every request."""

    objects: dict[str, Any] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def document(self, path: str) -> Any:
        if path == "/version":
            return {"major": "1", "minor": "32", "gitVersion": "v1.32.4"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"]}
        if path == "/apis":
            groups = [{"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
                       "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}}
                      for gv in DISCOVERY if "/" in gv]
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        group_version = path.removeprefix("/api/").removeprefix("/apis/")
        if group_version in DISCOVERY:
            resources = [{"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
                          "verbs": VERBS} for plural, kind, namespaced in DISCOVERY[group_version]]
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                    "resources": resources}
        return self.objects.get(path)

    def protobuf_bodies(self) -> list[Sent]:
        return [s for s in self.sent if s.content_type == PB]


def _handler(fake: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def answer(self) -> None:
            path = urlsplit(self.path).path
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fake.sent.append(Sent(self.command, path, self.headers.get("Content-Type", ""), body))
            doc = fake.objects.pop(path, None) if self.command == "DELETE" else fake.document(path)
            if doc is None and self.command in ("GET", "DELETE"):
                status, doc = 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                    "code": 404, "message": f"{path} not found"}
            else:
                status = 201 if self.command == "POST" else 200
            out = json.dumps(doc or {}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

    return Handler


@dataclass
class Kubectl:
    fake: FakeApiServer
    kubeconfig: Path
    cache: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {"KUBECONFIG": str(self.kubeconfig), "HOME": str(self.cache), "PATH": "/usr/bin:/bin"}
        return subprocess.run([KUBECTL, "--cache-dir", str(self.cache), *args], env=env, capture_output=True,
                              text=True, timeout=60)

    def sent_protobuf(self, *args: str) -> Sent:
        """What kubectl sent as protobuf for one command (the command itself may then fail on our reply)."""
        self.fake.sent.clear()
        result = self.run(*args)
        bodies = self.fake.protobuf_bodies()
        assert len(bodies) == 1, (result.stderr, [(s.method, s.path, s.content_type) for s in self.fake.sent])
        return bodies[0]

    def decoded(self, *args: str) -> dict[str, Any]:
        return protobuf.decode_body(PB, self.sent_protobuf(*args).body)

    def dry_run_json(self, *args: str) -> dict[str, Any]:
        """kubectl's JSON for the object the command would send (flags go before a `--` command line)."""
        split = args.index("--") if "--" in args else len(args)
        result = self.run(*args[:split], "--dry-run=client", "-o", "json", *args[split:])
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def kubectl(tmp_path: Path) -> Iterator[Kubectl]:
    fake = FakeApiServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"}}],
        "users": [{"name": "fake", "user": {}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": "default"}}],
    }))
    yield Kubectl(fake, kubeconfig, tmp_path / "cache")
    server.shutdown()
    server.server_close()
    thread.join()


# ---- what kubectl sends, decoded ---------------------------------------------------------------------

CREATE_COMMANDS = [
    ("create", "namespace", "team-a"),
    ("create", "configmap", "cm", "--from-literal=a=b", "--from-literal=empty="),
    ("create", "secret", "generic", "s", "--from-literal=user=admin", "--from-literal=pw=s3cr3t", "--type=Opaque"),
    ("create", "secret", "docker-registry", "reg", "--docker-server=r.example.com", "--docker-username=u",
     "--docker-password=p"),
    ("create", "service", "clusterip", "svc", "--tcp=80:8080", "--tcp=443"),
    ("create", "service", "nodeport", "np", "--tcp=80:http", "--node-port=30080"),
    ("create", "service", "loadbalancer", "lb", "--tcp=80:8080"),
    ("create", "service", "externalname", "en", "--external-name=example.com"),
    ("create", "serviceaccount", "sa"),
    ("create", "job", "j", "--image=busybox", "--", "echo", "hi"),
    ("create", "cronjob", "cj", "--image=busybox", "--schedule=*/5 * * * *", "--restart=Never", "--", "date"),
    ("create", "role", "r", "--verb=get,list", "--resource=pods", "--resource-name=p1"),
    ("create", "rolebinding", "rb", "--role=r", "--user=bob", "--serviceaccount=default:sa", "--group=devs"),
    ("create", "clusterrole", "cr", "--verb=get", "--resource=pods", "--non-resource-url=/logs/*"),
    ("create", "clusterrole", "agg", "--aggregation-rule=rbac.example.com/aggregate=true"),
    ("create", "clusterrolebinding", "crb", "--clusterrole=cr", "--group=devs"),
    ("create", "quota", "q", "--hard=pods=2,cpu=1,memory=1Gi", "--scopes=BestEffort"),
    ("create", "poddisruptionbudget", "pdb", "--selector=app=x", "--min-available=50%"),
    ("create", "poddisruptionbudget", "pdb2", "--selector=app=x", "--max-unavailable=1"),
    ("create", "priorityclass", "pc", "--value=1000", "--global-default", "--preemption-policy=Never",
     "--description=important"),
    ("create", "ingress", "ing", "--class=nginx", "--rule=foo.com/bar*=svc1:8080,tls=cert",
     "--default-backend=def:http", "--annotation=a=b"),
    ("create", "deployment", "web", "--image=nginx", "--replicas=0", "--port=80"),
    ("create", "deployment", "multi", "--image=nginx", "--image=redis"),
]


@pytest.mark.kubectl
@pytest.mark.parametrize("command", CREATE_COMMANDS, ids=lambda c: "-".join(c[1:3]))
def test_create_body_decodes_to_what_kubectl_would_send_as_json(kubectl: Kubectl, command: tuple[str, ...]) -> None:
    sent = kubectl.sent_protobuf(*command)
    assert sent.method == "POST"
    assert protobuf.decode_body(PB, sent.body) == kubectl.dry_run_json(*command)


@pytest.mark.kubectl
def test_values_that_zero_value_rules_could_lose(kubectl: Kubectl) -> None:
    deployment = kubectl.decoded("create", "deployment", "web", "--image=nginx", "--replicas=0")
    assert deployment["spec"]["replicas"] == 0
    config = kubectl.decoded("create", "configmap", "cm", "--from-literal=empty=")
    assert config["data"] == {"empty": ""}
    secret = kubectl.decoded("create", "secret", "generic", "s", "--from-literal=pw=s3cr3t")
    assert base64.b64decode(secret["data"]["pw"]) == b"s3cr3t"
    quota = kubectl.decoded("create", "quota", "q", "--hard=cpu=1500m,memory=1Gi")
    assert quota["spec"]["hard"] == {"cpu": "1500m", "memory": "1Gi"}
    pdb = kubectl.decoded("create", "poddisruptionbudget", "pdb", "--selector=app=x", "--min-available=50%")
    assert pdb["spec"]["minAvailable"] == "50%"


CSR = {
    "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
    "metadata": {
        "name": "bob", "uid": "0d4b0a9c-1b5e-4c8e-9a53-6f1f0b6f3c11", "resourceVersion": "42",
        "creationTimestamp": "2025-03-01T10:00:00Z", "labels": {"team": "a"},
        "managedFields": [{"manager": "kubectl-create", "operation": "Update", "apiVersion": "certificates.k8s.io/v1",
                           "time": "2025-03-01T10:00:00Z", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:spec": {"f:request": {}, "f:usages": {}}}}],
    },
    "spec": {
        "request": base64.b64encode(b"-----BEGIN CERTIFICATE REQUEST-----\n").decode(),
        "signerName": "kubernetes.io/kube-apiserver-client", "expirationSeconds": 86400,
        "usages": ["client auth"], "username": "admin", "groups": ["system:masters", "system:authenticated"],
        "extra": {"scopes": ["a", "b"]},
    },
    "status": {},
}


@pytest.mark.kubectl
@pytest.mark.parametrize(("verb", "condition", "reason"), [
    ("approve", "Approved", "KubectlApprove"), ("deny", "Denied", "KubectlDeny"),
])
def test_certificate_approval_put_carries_the_whole_object(kubectl: Kubectl, verb: str, condition: str,
                                                          reason: str) -> None:
    path = "/apis/certificates.k8s.io/v1/certificatesigningrequests/bob"
    kubectl.fake.objects[path] = CSR
    sent = kubectl.sent_protobuf("certificate", verb, "bob")
    assert (sent.method, sent.path) == ("PUT", f"{path}/approval")
    decoded = protobuf.decode_body(PB, sent.body)
    (added,) = decoded["status"].pop("conditions")
    assert decoded == CSR
    assert added["type"] == condition and added["status"] == "True" and added["reason"] == reason
    assert RFC3339.match(added["lastUpdateTime"]) and added["lastTransitionTime"] is None


CRONJOB_TEMPLATE = {
    "metadata": {"labels": {"app": "nightly"}},
    "spec": {
        "backoffLimit": 2,
        "template": {"spec": {
            "restartPolicy": "OnFailure",
            "containers": [{
                "name": "backup", "image": "busybox:1.36", "command": ["sh", "-c", "tar c /data"],
                "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}},
                "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
                "securityContext": {"runAsUser": 1000, "capabilities": {"drop": ["ALL"]}},
                "livenessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 30},
            }],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "backups"}},
                        {"name": "cfg", "configMap": {"name": "c", "defaultMode": 420,
                                                      "items": [{"key": "k", "path": "p"}]}}],
            "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}]}}},
        }},
    },
}


@pytest.mark.kubectl
def test_job_from_a_cronjob_keeps_the_whole_pod_template(kubectl: Kubectl) -> None:
    kubectl.fake.objects["/apis/batch/v1/namespaces/default/cronjobs/nightly"] = {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "default", "uid": "7d3c2f5e-0000-4000-8000-000000000001"},
        "spec": {"schedule": "0 1 * * *", "jobTemplate": CRONJOB_TEMPLATE},
    }
    command = ("create", "job", "manual", "--from=cronjob/nightly")
    decoded = kubectl.decoded(*command)
    assert decoded == kubectl.dry_run_json(*command)
    assert decoded["spec"]["template"]["spec"]["volumes"][1]["configMap"]["items"] == [{"key": "k", "path": "p"}]
    assert decoded["metadata"]["ownerReferences"][0]["controller"] is True


@pytest.mark.kubectl
def test_drain_deletes_pods_with_protobuf_delete_options(kubectl: Kubectl) -> None:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": {"unschedulable": True}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
           "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]}}
    kubectl.fake.objects.update({
        "/api/v1/nodes/n1": node,
        "/api/v1/pods": {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [pod]},
        "/api/v1/namespaces/default/pods/p": pod,
    })
    sent = kubectl.sent_protobuf("drain", "n1", "--force", "--grace-period=7", "--timeout=30s")
    assert (sent.method, sent.path) == ("DELETE", "/api/v1/namespaces/default/pods/p")
    assert protobuf.decode_body(PB, sent.body) == {"kind": "DeleteOptions", "apiVersion": "v1",
                                                    "gracePeriodSeconds": 7}


@pytest.mark.kubectl
def test_debug_node_pod_decodes(kubectl: Kubectl) -> None:
    kubectl.fake.objects["/api/v1/nodes/n1"] = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}
    sent = kubectl.sent_protobuf("debug", "node/n1", "--image=busybox", "--profile=general")
    pod = protobuf.decode_body(PB, sent.body)
    assert (pod["kind"], pod["spec"]["nodeName"], pod["spec"]["hostPID"]) == ("Pod", "n1", True)
    assert pod["spec"]["volumes"][0]["hostPath"] == {"path": "/"}
    assert pod["spec"]["tolerations"] == [{"operator": "Exists"}]
    assert pod["spec"]["containers"][0]["image"] == "busybox"


# ---- the real sandbox ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path_factory.mktemp("protobuf"), ["a"]) as sandbox:
        yield sandbox


@pytest.mark.kubectl
@pytest.mark.parametrize(("command", "created"), [
    pytest.param(("create", "deployment", "web", "--image=nginx", "--replicas=0"), "deployment.apps/web created",
                 id="deployment"),
    pytest.param(("create", "configmap", "cm", "--from-literal=a=b", "--from-literal=empty="), "configmap/cm created",
                 id="configmap"),
    pytest.param(("create", "secret", "generic", "s", "--from-literal=pw=s3cr3t"), "secret/s created", id="secret"),
    pytest.param(("create", "service", "nodeport", "np", "--tcp=80:8080"), "service/np created", id="service"),
    pytest.param(("create", "role", "r", "--verb=get", "--resource=pods"), "role.rbac.authorization.k8s.io/r created",
                 id="role"),
    pytest.param(("create", "job", "j", "--image=busybox"), "job.batch/j created", id="job"),
])
def test_the_sandbox_accepts_what_kubectl_create_sends(sb: Sandbox, command: tuple[str, ...], created: str) -> None:
    assert sb.kubectl_ok("a", *command).strip() == created
    kind_name = created.split()[0]
    stored = sb.kubectl_json("a", "get", kind_name, "-o", "json")
    expected = json.loads(sb.kubectl_ok("a", *command, "--dry-run=client", "-o", "json"))
    assert stored["metadata"].get("labels") == expected["metadata"].get("labels")
    for key in ("data", "rules"):
        assert stored.get(key) == expected.get(key)
    if "spec" in expected and "replicas" in expected["spec"]:
        assert stored["spec"]["replicas"] == expected["spec"]["replicas"]


@pytest.mark.kubectl
def test_the_sandbox_approves_a_csr_through_kubectl(sb: Sandbox) -> None:
    csr = {key: value for key, value in CSR.items() if key != "status"}
    csr["metadata"] = {"name": "carol"}
    sb.kubectl_ok("a", "create", "-f", "-", input=json.dumps(csr))
    assert sb.kubectl_ok("a", "certificate", "approve", "carol").strip() == \
        "certificatesigningrequest.certificates.k8s.io/carol approved"
    conditions = sb.kubectl_json("a", "get", "csr", "carol", "-o", "json")["status"]["conditions"]
    assert [(c["type"], c["status"]) for c in conditions] == [("Approved", "True")]


@pytest.mark.kubectl
def test_the_sandbox_drains_a_node_with_protobuf_delete_options(sb: Sandbox) -> None:
    sb.kubectl_ok("a", "create", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}))
    sb.kubectl_ok("a", "create", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "lonely", "namespace": "default"},
         "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]}}))
    out = sb.kubectl_ok("a", "drain", "n1", "--force", "--grace-period=0", "--timeout=30s")
    assert "pod/lonely deleted" in out and "node/n1 drained" in out
    assert sb.kubectl("a", "get", "pod", "lonely").returncode != 0
