"""Helpers for the sandbox acceptance suites: start/stop a detached sandbox through the real CLI,
run the real kubectl against it, and talk to its API with raw HTTPS requests.

Everything goes through what a user has: the `kstellar-tui sandbox` command, the state directory
and the kubeconfig it writes. Nothing here imports the server's modules.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
import os
import queue
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kstellar_tui.sandbox.process import pid_alive

REPO_ROOT = Path(__file__).resolve().parents[2]
UPSTREAM_CRDS = REPO_ROOT.parent / "shared" / "upstream-crds"
DATA = Path(__file__).resolve().parent / "data"
KUBECTL = "/usr/bin/kubectl" if Path("/usr/bin/kubectl").exists() else "kubectl"

START_TIMEOUT = 60.0


async def until(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Await `condition` becoming truthy (in-process controllers run on this loop); return its value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := condition()):
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)
    return value


def wait_for(condition: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05,
             message: str = "condition") -> Any:
    """Poll `condition` until it returns something truthy; return it, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            value = condition()
        except Exception as exc:  # noqa: BLE001 - keep polling, report the last one
            last_exc = exc
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {message}{extra}")
        time.sleep(interval)




@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:  # shows in assertion messages
        return f"HttpResult({self.status}, {self.body[:500]!r})"


@dataclass
class Sandbox:
    """A detached sandbox started with `kstellar-tui sandbox up --detach` in its own state dir."""

    state_dir: Path
    clusters: list[str]
    cache_dir: Path
    _ssl: ssl.SSLContext | None = field(default=None, repr=False)

    # ---- process -----------------------------------------------------------------------------
    def cli(self, *args: str, timeout: float = START_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kstellar_tui", "sandbox", *args, "--state-dir", str(self.state_dir)],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=self._env(),
        )

    def _env(self) -> dict[str, str]:
        return _clean_env(self.state_dir.parent / "xdg")

    def up(self) -> None:
        cmd = [sys.executable, "-m", "kstellar_tui", "sandbox", "up", "--detach",
               "--state-dir", str(self.state_dir), "--clusters", ",".join(self.clusters)]
        proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=START_TIMEOUT, env=self._env())
        if proc.returncode != 0:
            log = self.state_dir / "sandbox.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            raise RuntimeError(f"sandbox up failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{tail}")
        self._ssl = None
        # `up --detach` should return only once ready; tolerate a short lag anyway
        wait_for(self._all_ready, timeout=START_TIMEOUT, message="sandbox readiness")

    def down(self) -> subprocess.CompletedProcess[str]:
        pid = self.pid_or_none()
        proc = self.cli("down")
        if pid is not None:
            wait_for(lambda: not pid_alive(pid), timeout=30, message=f"sandbox pid {pid} to exit")
        return proc

    def kill9(self) -> int:
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not pid_alive(pid), timeout=10, message=f"pid {pid} to die")
        return pid

    def info(self) -> dict[str, Any]:
        return json.loads((self.state_dir / "sandbox.json").read_text())

    def pid_or_none(self) -> int | None:
        try:
            return int(self.info()["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @property
    def pid(self) -> int:
        pid = self.pid_or_none()
        assert pid is not None, "sandbox.json has no pid"
        return pid

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    def kubeconfig_doc(self) -> dict[str, Any]:
        return yaml.safe_load(self.kubeconfig.read_text())

    @property
    def token(self) -> str:
        doc = self.kubeconfig_doc()
        return doc["users"][0]["user"]["token"]

    def server(self, cluster: str) -> str:
        doc = self.kubeconfig_doc()
        ctx = next(c["context"] for c in doc["contexts"] if c["name"] == cluster)
        return next(c["cluster"]["server"] for c in doc["clusters"] if c["name"] == ctx["cluster"])

    def port(self, cluster: str) -> int:
        return int(self.info()["ports"][cluster])

    @property
    def admin_port(self) -> int:
        return int(self.info()["admin_port"])

    def _all_ready(self) -> bool:
        if not self.kubeconfig.exists() or not (self.state_dir / "sandbox.json").exists():
            return False
        for cluster in self.clusters:
            if self.request(cluster, "GET", "/version").status != 200:
                return False
        return True

    # ---- raw HTTPS ---------------------------------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            doc = self.kubeconfig_doc()
            ca = base64.b64decode(doc["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
            ctx = ssl.create_default_context(cadata=ca)
            self._ssl = ctx
        return self._ssl

    def _connection(self, port: int, timeout: float) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", port, context=self.ssl_context(), timeout=timeout)

    def raw(self, port: int, method: str, path: str, body: bytes | str | dict | list | None = None, *,
            headers: dict[str, str] | None = None, token: str | None | bool = True,
            content_type: str | None = None, timeout: float = 30) -> HttpResult:
        """One request; `token=True` uses the sandbox token, `None`/`False` sends no Authorization."""
        hdrs = {"Accept": "application/json"}
        if token is True:
            hdrs["Authorization"] = f"Bearer {self.token}"
        elif token:
            hdrs["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode()
        if content_type:
            hdrs["Content-Type"] = content_type
        elif body is not None and "Content-Type" not in hdrs:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        conn = self._connection(port, timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return HttpResult(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def request(self, cluster: str, method: str, path: str, body: Any = None, **kw: Any) -> HttpResult:
        return self.raw(self.port(cluster), method, path, body, **kw)

    def admin(self, method: str, path: str, body: Any = None, **kw: Any) -> HttpResult:
        return self.raw(self.admin_port, method, path, body, **kw)

    def fault(self, kind: str, cluster: str | None = None, value: float | None = None) -> HttpResult:
        res = self.admin("POST", f"/_sandbox/faults/{kind}", {"cluster": cluster, "value": value})
        assert res.status < 300, res
        return res

    # ---- kubectl -----------------------------------------------------------------------------
    def kubectl_argv(self, context: str, *args: str) -> list[str]:
        return [KUBECTL, "--kubeconfig", str(self.kubeconfig), "--context", context,
                "--cache-dir", str(self.cache_dir), *args]

    def kubectl(self, context: str, *args: str, input: str | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.kubectl_argv(context, *args), input=input, capture_output=True,
                              text=True, timeout=timeout, env=kubectl_env(self.kubeconfig))

    def kubectl_ok(self, context: str, *args: str, input: str | None = None, timeout: float = 60) -> str:
        proc = self.kubectl(context, *args, input=input, timeout=timeout)
        assert proc.returncode == 0, (f"kubectl {' '.join(args)} failed ({proc.returncode}):\n"
                                      f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc.stdout

    def kubectl_json(self, context: str, *args: str) -> Any:
        return json.loads(self.kubectl_ok(context, *args, "-o", "json"))

    # ---- Python client -----------------------------------------------------------------------
    def api_client(self, context: str):  # -> kubernetes.client.ApiClient
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig), context=context)


def _clean_env(home: Path | None = None) -> dict[str, str]:
    """The environment for child processes: no kubeconfig or sandbox dir of the developer's, and
    (with `home`) XDG directories of their own so nothing outside the test's tmp dir is touched."""
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    env.pop("KSTELLAR_SANDBOX_DIR", None)
    env.pop("KSTELLAR_TUI_CONFIG", None)
    if home is not None:
        for variable in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
            env[variable] = str(home / variable.lower())
    return env


def kubectl_env(kubeconfig: Path) -> dict[str, str]:
    env = _clean_env()
    env["KUBECONFIG"] = str(kubeconfig)
    # no proxies for loopback, no user config leaking in
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    return env


def start_sandbox(base: Path, clusters: list[str]) -> Sandbox:
    """Start a detached sandbox with its state under `base`; the caller must `down()` it."""
    base.mkdir(parents=True, exist_ok=True)
    sb = Sandbox(state_dir=base / "state", clusters=list(clusters), cache_dir=base / "kubectl-cache")
    sb.up()
    return sb


@contextlib.contextmanager
def running_sandbox(base: Path, clusters: list[str]) -> Iterator[Sandbox]:
    sb = start_sandbox(base, clusters)
    try:
        yield sb
    finally:
        stop_quietly(sb)


def stop_quietly(sb: Sandbox) -> None:
    """Stop the sandbox; if `down` fails, kill the recorded pid so no process outlives the tests."""
    pid = sb.pid_or_none()
    try:
        sb.cli("down", timeout=30)
    except Exception:  # noqa: BLE001
        pass
    if pid is not None and pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def new_base_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"kst-{prefix}-"))


class LineReader:
    """Read a subprocess' stdout line by line in a thread, so tests can wait for a line with a timeout."""

    def __init__(self, proc: subprocess.Popen[str], stream: Any = None):
        self.proc = proc
        self.stream = stream if stream is not None else proc.stdout
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self.stream is not None
        for line in self.stream:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_line(self, predicate: Callable[[str], bool], timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching line within {timeout}s; got {self.lines!r}")
            try:
                line = self._q.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"stream ended without a matching line; got {self.lines!r}")
            self.lines.append(line)
            if predicate(line):
                return line


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def table_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """Split `kubectl get` table output into its header columns and rows (columns split on 2+ spaces)."""
    import re

    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return [], []
    split = re.compile(r"\s{2,}")
    header = split.split(lines[0].strip())
    # rows: cut at the header's column starts, which is how kubectl aligns them
    starts: list[int] = []
    pos = 0
    for h in header:
        pos = lines[0].index(h, pos)
        starts.append(pos)
        pos += len(h)
    rows = []
    for ln in lines[1:]:
        cells = []
        for i, s in enumerate(starts):
            e = starts[i + 1] if i + 1 < len(starts) else None
            cells.append(ln[s:e].strip())
        rows.append(cells)
    return header, rows
