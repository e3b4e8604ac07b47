"""The sandbox answers only with its token, only on loopback, and keeps its secrets private."""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import stat
from pathlib import Path

import pytest

from ._helpers import Sandbox, running_sandbox

CLUSTERS = ["a", "b"]


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory):
    with running_sandbox(tmp_path_factory.mktemp("security"), CLUSTERS) as sandbox:
        yield sandbox


API_PATHS = ["/api", "/apis", "/api/v1/namespaces", "/apis/apps/v1/deployments",
             "/api/v1/namespaces/default/configmaps?watch=1", "/openapi/v3"]


# ---- authentication ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", API_PATHS)
@pytest.mark.parametrize("cluster", CLUSTERS)
def test_no_token_is_401(sb: Sandbox, cluster: str, path: str) -> None:
    res = sb.request(cluster, "GET", path, token=None, timeout=10)
    assert res.status == 401, res
    body = res.json
    assert body["kind"] == "Status" and body["reason"] == "Unauthorized" and body["code"] == 401


@pytest.mark.parametrize("token", ["wrong", "", "x" * 43])
def test_wrong_token_is_401(sb: Sandbox, token: str) -> None:
    res = sb.request("a", "GET", "/api/v1/namespaces", token=token or None,
                     headers={"Authorization": f"Bearer {token}"})
    assert res.status == 401, res
    assert res.json["reason"] == "Unauthorized"


def test_token_with_extra_characters_or_other_schemes_is_401(sb: Sandbox) -> None:
    for header in (f"Bearer {sb.token}x", f"Bearer {sb.token[:-1]}", f"Basic {sb.token}", sb.token,
                   f"bearer{sb.token}"):
        res = sb.request("a", "GET", "/api/v1/namespaces", token=None, headers={"Authorization": header})
        assert res.status == 401, (header.replace(sb.token, "<token>"), res)


def test_writes_without_token_change_nothing(sb: Sandbox) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "intruder"}}
    assert sb.request("a", "POST", "/api/v1/namespaces", body, token="wrong").status == 401
    assert sb.request("a", "DELETE", "/api/v1/namespaces/default", token=None).status == 401
    assert sb.request("a", "GET", "/api/v1/namespaces/intruder").status == 404
    assert sb.request("a", "GET", "/api/v1/namespaces/default").status == 200


def test_the_right_token_is_accepted(sb: Sandbox) -> None:
    assert sb.request("a", "GET", "/api/v1/namespaces").status == 200
    assert sb.request("b", "GET", "/api/v1/namespaces").status == 200


def test_admin_api_needs_the_token_too(sb: Sandbox) -> None:
    assert sb.admin("GET", "/_sandbox/status", token=None).status == 401
    assert sb.admin("POST", "/_sandbox/shutdown", token="wrong").status == 401
    assert sb.admin("POST", "/_sandbox/faults/offline", {"cluster": "a", "value": None}, token=None).status == 401
    status = sb.admin("GET", "/_sandbox/status")
    assert status.status == 200, status
    assert set(status.json["clusters"]) == set(CLUSTERS)
    assert not any(c["offline"] for c in status.json["clusters"].values())
    assert sb.request("a", "GET", "/api").status == 200, "the refused shutdown must not have stopped anything"


@pytest.mark.kubectl
def test_kubectl_with_a_wrong_token_is_told_to_log_in(sb: Sandbox) -> None:
    proc = sb.kubectl("a", "--token", "wrong", "get", "namespaces")
    assert proc.returncode == 1
    # discovery fails first, so kubectl words it as upstream does for a refused token:
    # "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
    assert "error: You must be logged in to the server" in proc.stderr, proc.stderr
    assert "NAME" not in proc.stdout


# ---- transport --------------------------------------------------------------------------------------------

def test_tls_is_verified_against_the_kubeconfig_ca(sb: Sandbox) -> None:
    """The kubeconfig's CA verifies the server for 127.0.0.1 (hostname checked); a client that does not
    trust it is refused by TLS, and plain HTTP gets no API answer."""
    ctx = sb.ssl_context()
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    assert sb.request("a", "GET", "/version").status == 200

    untrusting = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    untrusting.load_verify_locations(cadata=_unrelated_ca_pem())
    conn = http.client.HTTPSConnection("127.0.0.1", sb.port("a"), context=untrusting, timeout=10)
    with pytest.raises(ssl.SSLError):
        conn.request("GET", "/version")
    conn.close()

    plain = http.client.HTTPConnection("127.0.0.1", sb.port("a"), timeout=10)
    try:
        plain.request("GET", "/api/v1/namespaces", headers={"Authorization": f"Bearer {sb.token}"})
        resp = plain.getresponse()
        assert resp.status != 200 and b"NamespaceList" not in resp.read()
    except (ConnectionError, http.client.HTTPException, OSError):
        pass                                           # refusing plain HTTP outright is fine too
    finally:
        plain.close()


def _unrelated_ca_pem() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import datetime

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unrelated-ca")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _descendants(pid: int) -> set[int]:
    pids = {pid}
    changed = True
    while changed:
        changed = False
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in pids:
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid in pids:
                pids.add(int(entry.name))
                changed = True
    return pids


def _socket_inodes(pids: set[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _listening(table: str, inodes: set[str]) -> list[tuple[str, int]]:
    """(address, port) of the LISTEN sockets in /proc/net/tcp{,6} that belong to `inodes`."""
    found = []
    path = Path(f"/proc/net/{table}")
    for line in path.read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state != "0A" or inode not in inodes:
            continue
        hex_addr, hex_port = local.split(":")
        raw = bytes.fromhex(hex_addr)
        if len(raw) == 4:
            addr = socket.inet_ntop(socket.AF_INET, raw[::-1])
        else:  # four little-endian 32-bit words
            addr = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
        found.append((addr, int(hex_port, 16)))
    return found


def test_nothing_listens_beyond_loopback(sb: Sandbox) -> None:
    inodes = _socket_inodes(_descendants(sb.pid))
    listening = _listening("tcp", inodes) + _listening("tcp6", inodes)
    ports = {port for _, port in listening}
    expected_ports = {sb.port(c) for c in CLUSTERS} | {sb.admin_port}
    assert expected_ports <= ports, f"the sandbox's ports {expected_ports} should be among {listening}"
    offenders = [(addr, port) for addr, port in listening if addr not in ("127.0.0.1", "::1")]
    assert not offenders, f"listening beyond loopback: {offenders}"
    # no UDP either
    udp = _listening("udp", inodes) + _listening("udp6", inodes)
    assert all(addr in ("127.0.0.1", "::1") for addr, _ in udp), udp


def test_kubeconfig_servers_are_loopback(sb: Sandbox) -> None:
    for cluster in CLUSTERS:
        assert sb.server(cluster) == f"https://127.0.0.1:{sb.port(cluster)}"


# ---- files ----------------------------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_files_are_private(sb: Sandbox) -> None:
    state = sb.state_dir
    assert _mode(sb.kubeconfig) == 0o600
    for name in ("token", "sandbox.json", "tls/ca.key", "tls/server.key"):
        assert _mode(state / name) == 0o600, name
    assert _mode(state) & 0o077 == 0, "the state dir (databases hold Secrets) must not be open to others"


def test_token_is_random_and_matches_the_kubeconfig(sb: Sandbox) -> None:
    token = (sb.state_dir / "token").read_text().strip()
    assert token == sb.token
    assert len(token) >= 32
    users = sb.kubeconfig_doc()["users"]
    assert {u["user"]["token"] for u in users} == {token}


def test_the_log_never_contains_the_token(sb: Sandbox) -> None:
    sb.request("a", "GET", "/api/v1/namespaces", token="wrong")     # provoke an auth failure log line
    sb.request("a", "GET", "/api/v1/namespaces")
    log = sb.state_dir / "sandbox.log"
    assert log.exists()
    assert sb.token not in log.read_text(errors="replace")
