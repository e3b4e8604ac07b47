"""The runtime around the clusters: auth, TLS, persistence across restarts, faults and the admin API."""

from __future__ import annotations

import json
import time
from pathlib import Path

import aiohttp
import pytest
import yaml

from kstellar_tui.sandbox.runtime import Sandbox
from tests.sandbox.apiserver_harness import (  # noqa: F401 (fixtures)
    Api,
    api_fixture,
    base_url,
    client_session,
    sandbox_fixture,
    started_sandbox,
)

CMS = "/api/v1/namespaces/default/configmaps"


async def test_requests_without_the_token_get_a_401_status(api: Api) -> None:
    for token in ("", "wrong"):
        status, answer = await api.call("GET", CMS, token=token)
        assert status == 401 and answer == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                            "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    assert (await api.call("GET", "/version", token=""))[0] == 200


async def test_https_only_trusting_the_sandbox_ca(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as plain:
        with pytest.raises(aiohttp.ClientError):
            await plain.get(f"https://127.0.0.1:{sandbox.ports['c1']}/version")
        with pytest.raises(aiohttp.ClientError):
            await plain.get(f"http://127.0.0.1:{sandbox.ports['c1']}/version")


async def test_plain_http_only_when_asked(tmp_path: Path) -> None:
    running = await started_sandbox(tmp_path / "state", ["c1"], tls=False)
    try:
        async with client_session(running) as session:
            assert base_url(running, "c1").startswith("http://")
            status, _ = await Api(session, base_url(running, "c1"), running.token).call("GET", CMS)
            assert status == 200
        config = yaml.safe_load(running.kubeconfig_path.read_text())
        assert config["clusters"][0]["cluster"]["server"].startswith("http://127.0.0.1:")
    finally:
        await running.stop()


async def test_a_restart_brings_back_objects_ports_and_increasing_versions(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = await started_sandbox(state, ["c1", "c2"])
    ports = dict(first.ports)
    async with client_session(first) as session:
        made = await Api(session, base_url(first, "c1"), first.token).ok(
            "POST", CMS, {"metadata": {"name": "kept"}, "data": {"k": "v"}})
    await first.stop()
    assert json.loads((state / "sandbox.json").read_text())["ports"] == ports
    again = await started_sandbox(state, ["c1", "c2"])
    try:
        assert again.ports == ports
        async with client_session(again) as session:
            api_again = Api(session, base_url(again, "c1"), again.token)
            assert await api_again.ok("GET", f"{CMS}/kept") == made
            later = await api_again.ok("POST", CMS, {"metadata": {"name": "later"}})
            assert int(later["metadata"]["resourceVersion"]) > int(made["metadata"]["resourceVersion"])
            status, expired = await api_again.call("GET", CMS, params={
                "watch": "true", "resourceVersion": str(int(made["metadata"]["resourceVersion"]) - 1)})
            assert (status, expired["type"], expired["object"]["code"]) == (200, "ERROR", 410)
    finally:
        await again.stop()


async def test_offline_refuses_connections_and_online_reopens_the_same_port(api: Api, sandbox: Sandbox) -> None:
    port = sandbox.ports["c1"]
    await sandbox.set_offline("c1", True)
    with pytest.raises(aiohttp.ClientConnectionError):
        await api.call("GET", "/version")
    assert sandbox.status()["clusters"]["c1"] == {"port": port, "offline": True}
    await sandbox.set_offline("c1", False)
    assert sandbox.ports["c1"] == port
    assert (await api.call("GET", "/version"))[0] == 200


async def test_latency_and_error_faults(api: Api, sandbox: Sandbox) -> None:
    sandbox.set_error_rate("c1", 1.0)
    status, answer = await api.call("GET", CMS)
    assert status == 500 and answer["kind"] == "Status"
    sandbox.set_error_rate("c1", 0.0)
    sandbox.set_latency("c1", 300)
    started = time.monotonic()
    assert (await api.call("GET", CMS))[0] == 200
    assert time.monotonic() - started >= 0.3
    await sandbox.clear_faults()
    assert sandbox.faults("c1").latency_ms == 0


async def test_admin_api(sandbox: Sandbox) -> None:
    async with client_session(sandbox) as session:
        admin = Api(session, f"https://127.0.0.1:{sandbox.admin_port}", sandbox.token)
        assert (await admin.call("GET", "/_sandbox/status", token="bad"))[0] == 401
        status = await admin.ok("GET", "/_sandbox/status")
        assert status["clusters"]["c1"]["offline"] is False and status["pid"] > 0
        made = await admin.ok("POST", "/_sandbox/clusters", {"name": "c2"})
        assert (await admin.call("POST", "/_sandbox/clusters", {"name": "c2"}))[0] == 409
        assert (await admin.call("POST", "/_sandbox/clusters", {"name": "Bad Name"}))[0] == 400
        contexts = yaml.safe_load(sandbox.kubeconfig_path.read_text())["contexts"]
        assert [c["name"] for c in contexts] == ["c1", "c2"]
        c2 = Api(session, f"https://127.0.0.1:{made['port']}", sandbox.token)
        assert (await c2.call("GET", "/api/v1/namespaces/default"))[0] == 200
        await admin.ok("POST", "/_sandbox/faults/errors", {"cluster": "c2", "value": 1})
        assert (await c2.call("GET", "/api/v1/namespaces"))[0] == 500
        await admin.ok("POST", "/_sandbox/faults/clear", {"cluster": None, "value": None})
        assert (await admin.call("POST", "/_sandbox/faults/errors", {"cluster": "c2", "value": "lots"}))[0] == 400
        assert (await admin.call("POST", "/_sandbox/faults/melt", {"cluster": "c2"}))[0] == 404
        assert (await admin.call("POST", "/_sandbox/faults/offline", {"cluster": "nope"}))[0] == 404
        await admin.ok("DELETE", "/_sandbox/clusters/c2")
        assert not (sandbox.files.db / "c2.sqlite").exists()
        assert (await admin.call("DELETE", "/_sandbox/clusters/c2"))[0] == 404
        assert (await admin.call("POST", "/_sandbox/shutdown"))[0] == 202
        assert sandbox.shutdown_requested.is_set()


async def test_subscribers_see_api_writes(api: Api, sandbox: Sandbox) -> None:
    seen = []
    sandbox.clusters["c1"].subscribe(lambda kind, rt, obj: seen.append((kind, rt.kind, obj["metadata"]["name"])))
    await api.ok("POST", CMS, {"metadata": {"name": "a"}})
    await api.ok("DELETE", f"{CMS}/a")
    assert seen == [("ADDED", "ConfigMap", "a"), ("DELETED", "ConfigMap", "a")]
