"""Bad input to the headless commands gives one clear message; a refused resource does not stop the rest.

The 403 case uses a purpose-built fake hub over real HTTP: it serves empty lists and quiet watches
for everything, except WorkStatuses, which it refuses as an RBAC-limited user would see."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.sandbox._helpers import REPO_ROOT

FORBIDDEN = b"/apis/control.kubestellar.io/v1alpha1/workstatuses"


def run_cli(*args: str, env_home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_home), "XDG_STATE_HOME": str(env_home / "state")}
    return subprocess.run([sys.executable, "-m", "kstellar_tui", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_unknown_context_names_the_file_and_the_contexts_it_has(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nkind: Config\ncontexts:\n- {name: prod, context: {cluster: c, user: u}}\n")
    done = run_cli("status", "--kubeconfig", str(config), "--wds", "wds9", env_home=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"context 'wds9' and 'its1' not found in {config}" in done.stderr


def test_unreadable_kubeconfig_is_said_plainly(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text("contexts: [unclosed\n")
    done = run_cli("status", "--kubeconfig", str(config), env_home=tmp_path)
    assert done.returncode == 1
    assert f"kubeconfig {config} is not valid YAML" in done.stderr
    assert "Traceback" not in done.stderr


class FakeHub:
    """Answers every list with an empty list and every watch with an open, silent stream; refuses one path."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        data = b""
        try:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, data = data.split(b"\r\n\r\n", 1)
                target = head.split(b" ", 2)[1]
                if target.startswith(FORBIDDEN):
                    self._reply(conn, 403, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                            "reason": "Forbidden", "code": 403,
                                            "message": 'workstatuses.control.kubestellar.io is forbidden: User '
                                                       '"viewer" cannot list resource "workstatuses"'})
                elif b"watch=true" in target:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n")
                    self.held.append(conn)
                    return
                else:
                    self._reply(conn, 200, {"kind": "List", "apiVersion": "v1",
                                            "metadata": {"resourceVersion": "1"}, "items": []})
        except OSError:
            pass

    @staticmethod
    def _reply(conn: socket.socket, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (code, len(data), data))

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture()
def hub_kubeconfig(tmp_path: Path):
    hub = FakeHub()
    config = tmp_path / "kubeconfig"
    server = f"http://127.0.0.1:{hub.port}"
    config.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "hub", "cluster": {"server": server}}],
        "users": [{"name": "viewer", "user": {"token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": "hub", "user": "viewer"}} for n in ("wds1", "its1")],
    }))
    yield config
    hub.close()


def test_a_forbidden_resource_is_reported_and_everything_else_still_answers(hub_kubeconfig: Path,
                                                                            tmp_path: Path) -> None:
    done = run_cli("status", "-o", "json", "--kubeconfig", str(hub_kubeconfig), "--timeout", "10",
                   env_home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"clusters": [], "workloads": []}
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: its1: workstatuses.control.kubestellar.io: forbidden (403): "
                        'workstatuses.control.kubestellar.io is forbidden: User "viewer" cannot list '
                        'resource "workstatuses"']
