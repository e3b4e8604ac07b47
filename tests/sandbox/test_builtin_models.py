"""The built-in kinds' field table the sandbox ships: what the official client says, and no client import."""

from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from kstellar_tui.sandbox.apiserver import builtin_models

REPO_ROOT = Path(__file__).resolve().parents[2]
CLIENT_PACKAGES = ("kubernetes", "pydantic")


def test_the_table_says_what_the_installed_client_says() -> None:
    shipped = json.loads(builtin_models.TABLE.read_text())
    assert builtin_models.generated() == shipped, \
        "the client changed: run python -m kstellar_tui.sandbox.apiserver.builtin_models"


def test_strict_validation_of_a_builtin_kind_works_without_importing_the_client() -> None:
    """A fresh sandbox process names an unknown Deployment field, as upstream does, and never loads
    the kubernetes client (whose import made every first `kubectl apply` wait)."""
    probe = f"from {__name__} import _serve_one_strict_create; _serve_one_strict_create()"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "status": 400, "loaded": [],
        "message": 'Deployment in version "v1" cannot be handled as a Deployment: '
                   'strict decoding error: unknown field "spec.replicass"'}


def _serve_one_strict_create() -> None:
    """In a fresh process: one sandbox cluster, one strict create over loopback HTTP; prints the answer
    and which client packages got imported."""
    from kstellar_tui.sandbox.runtime import Sandbox

    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicass": 2, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}

    def create(port: int, token: str) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", "/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict",
                           body=json.dumps(deployment),
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())

    async def main() -> None:
        with tempfile.TemporaryDirectory() as state:
            sandbox = Sandbox(Path(state), ["c1"], tls=False)
            await sandbox.start()
            try:
                status, answer = await asyncio.to_thread(create, sandbox.ports["c1"], sandbox.token)
            finally:
                await sandbox.stop()
        loaded = sorted(name for name in sys.modules if name in CLIENT_PACKAGES)
        print(json.dumps({"status": status, "message": answer.get("message"), "loaded": loaded}))

    asyncio.run(main())
