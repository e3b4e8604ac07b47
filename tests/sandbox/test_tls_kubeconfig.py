"""The sandbox's CA, serving certificate, token and kubeconfig: contents, modes and reuse."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import os
import ssl
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from kstellar_tui.sandbox import tls
from kstellar_tui.sandbox.admin_client import trusting_only_ca
from kstellar_tui.sandbox.credentials import load_or_create_token, read_token, write_private_file
from kstellar_tui.sandbox.kubeconfig import server_url, write_kubeconfig
from kstellar_tui.sandbox.statedir import StateDir


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.fixture
def files(tmp_path: Path) -> StateDir:
    tls.ensure_certificates(tmp_path)
    return StateDir(tmp_path)


def test_keys_and_directory_are_private(files: StateDir) -> None:
    assert _mode(files.tls) == 0o700
    assert _mode(files.ca_key) == 0o600
    assert _mode(files.server_key) == 0o600


def test_serving_certificate_covers_loopback_and_chains_to_the_ca(files: StateDir) -> None:
    server, ca = _cert(files.server_cert), _cert(files.ca_cert)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(sans.get_values_for_type(x509.IPAddress)) == {ipaddress.ip_address("127.0.0.1"),
                                                             ipaddress.ip_address("::1")}
    server.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_certificates_are_reused(files: StateDir) -> None:
    before = {p: p.read_bytes() for p in (files.ca_cert, files.ca_key, files.server_cert, files.server_key)}
    tls.ensure_certificates(files.root)
    assert {p: p.read_bytes() for p in before} == before


def test_lost_serving_certificate_is_reissued_by_the_same_ca(files: StateDir) -> None:
    ca_before = files.ca_cert.read_bytes()
    files.server_key.unlink()
    tls.ensure_certificates(files.root)
    assert files.ca_cert.read_bytes() == ca_before
    _cert(files.server_cert).verify_directly_issued_by(_cert(files.ca_cert))


def test_new_ca_means_new_serving_certificate(files: StateDir) -> None:
    server_before = files.server_cert.read_bytes()
    files.ca_cert.write_bytes(b"garbage")
    tls.ensure_certificates(files.root)
    assert files.server_cert.read_bytes() != server_before
    _cert(files.server_cert).verify_directly_issued_by(_cert(files.ca_cert))


@pytest.mark.parametrize("hostname", ["127.0.0.1", "localhost"])
async def test_tls_handshake_trusting_only_the_sandbox_ca(files: StateDir, hostname: str) -> None:
    server_context = tls.TlsMaterial(files).server_ssl_context()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=trusting_only_ca(files.ca_cert), server_hostname=hostname)
        assert await reader.read() == b"ok"
        writer.close()
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("127.0.0.1", port, ssl=ssl.create_default_context(),
                                          server_hostname=hostname)


def test_token_is_random_private_and_reused(tmp_path: Path) -> None:
    assert read_token(tmp_path) is None
    token = load_or_create_token(tmp_path)
    assert len(token) >= 43
    assert _mode(StateDir(tmp_path).token) == 0o600
    assert load_or_create_token(tmp_path) == token == read_token(tmp_path)
    assert load_or_create_token(tmp_path / "other") != token


def test_private_files_are_0600_from_creation_even_with_a_lax_umask(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_text("old")
    target.chmod(0o644)
    previous = os.umask(0)
    try:
        write_private_file(target, b"new")
    finally:
        os.umask(previous)
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]


def _kubeconfig(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_kubeconfig_has_one_cluster_user_and_context_per_sandbox_cluster(files: StateDir) -> None:
    ca_pem = tls.TlsMaterial(files).ca_pem
    write_kubeconfig(files.kubeconfig, {"cluster1": 40001, "cluster2": 40002}, "tok", ca_pem)
    config = _kubeconfig(files.kubeconfig)
    assert _mode(files.kubeconfig) == 0o600
    assert [c["name"] for c in config["clusters"]] == ["cluster1", "cluster2"]
    assert config["clusters"][1]["cluster"] == {
        "server": "https://127.0.0.1:40002",
        "certificate-authority-data": base64.b64encode(ca_pem).decode(),
    }
    assert config["users"][0] == {"name": "cluster1", "user": {"token": "tok"}}
    assert config["contexts"][1] == {"name": "cluster2", "context": {"cluster": "cluster2", "user": "cluster2"}}
    assert config["current-context"] == "cluster1"


@pytest.mark.parametrize(("names", "current"), [
    (["kind-kubeflex", "its1", "wds1", "cluster1"], "wds1"),
    (["kind-kubeflex", "its1", "cluster1"], "its1"),
    (["cluster1", "wds2"], "wds2"),
    (["b", "a"], "b"),
])
def test_current_context_prefers_the_workload_space(tmp_path: Path, names: list[str], current: str) -> None:
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, {name: 40000 + i for i, name in enumerate(names)}, "tok", None)
    assert _kubeconfig(path)["current-context"] == current


def test_a_chosen_current_context_survives_rewrites_while_it_exists(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, {"wds1": 1, "cluster1": 2}, "tok", None)
    config = _kubeconfig(path)
    config["current-context"] = "cluster1"
    path.write_text(yaml.safe_dump(config))
    write_kubeconfig(path, {"wds1": 1, "cluster1": 2, "cluster2": 3}, "tok", None)
    assert _kubeconfig(path)["current-context"] == "cluster1"
    write_kubeconfig(path, {"wds1": 1}, "tok", None)
    assert _kubeconfig(path)["current-context"] == "wds1"


def test_plain_http_and_ipv6_servers() -> None:
    assert server_url(5, tls=False) == "http://127.0.0.1:5"
    assert server_url(5, host="::1") == "https://[::1]:5"


@pytest.mark.kubectl
def test_kubectl_reads_the_kubeconfig(files: StateDir) -> None:
    write_kubeconfig(files.kubeconfig, {"wds1": 40001, "cluster1": 40002}, "tok", tls.TlsMaterial(files).ca_pem)
    result = subprocess.run(["kubectl", "--kubeconfig", str(files.kubeconfig), "config", "view", "--raw", "-o", "json"],
                            capture_output=True, text=True, timeout=30, check=True)
    view = json.loads(result.stdout)
    assert view["current-context"] == "wds1"
    assert {c["name"]: c["cluster"]["server"] for c in view["clusters"]} == {
        "wds1": "https://127.0.0.1:40001", "cluster1": "https://127.0.0.1:40002"}
