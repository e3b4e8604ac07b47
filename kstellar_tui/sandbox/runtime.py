"""Sandbox: several virtual clusters in one process, each served on its own loopback port.

kubectl caches discovery per host:port, so every cluster gets a port of its own; ports are
remembered in sandbox.json so kubeconfigs handed out earlier stay valid across restarts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
from pathlib import Path

from aiohttp import web

from kstellar_tui.sandbox.admin import create_admin_app
from kstellar_tui.sandbox.admin_client import read_info
from kstellar_tui.sandbox.apiserver.faults import Faults
from kstellar_tui.sandbox.apiserver.persistence import Database, remove_database
from kstellar_tui.sandbox.apiserver.server import create_app
from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.apiserver.watchstream import WatchSettings
from kstellar_tui.sandbox.credentials import ensure_private_dir, load_or_create_token, write_private_file
from kstellar_tui.sandbox.kubeconfig import write_kubeconfig
from kstellar_tui.sandbox.statedir import StateDir
from kstellar_tui.sandbox.tls import ensure_certificates

log = logging.getLogger(__name__)

CLUSTER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
SHUTDOWN_TIMEOUT = 2.0  # watches are closed first, so handlers finish at once


class SandboxConfigError(ValueError):
    """A cluster name or fault request the sandbox cannot honour."""


def check_cluster_name(name: str) -> None:
    if not isinstance(name, str) or not CLUSTER_NAME.fullmatch(name):  # match() lets "a\n" through
        raise SandboxConfigError(f"invalid cluster name {name!r}: use lowercase letters, digits and '-' "
                                 "(at most 63, starting and ending with a letter or digit)")


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket; SO_REUSEADDR lets an offline cluster come back on the same port."""
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class Listener:
    """One aiohttp application on one port, which can be closed and re-opened on the same port."""

    def __init__(self, app: web.Application, host: str, ssl_context: ssl.SSLContext | None) -> None:
        self.host = host
        self.port = 0
        self._ssl = ssl_context
        # Bodies are read as sent, as kube-apiserver does: a Content-Encoding it cannot decode is then
        # a 400 Status from the decoder, not aiohttp's plain-text refusal and logged traceback.
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT,
                                     access_log=None, auto_decompress=False)
        self._site: web.SockSite | None = None

    @property
    def open(self) -> bool:
        return self._site is not None

    async def start(self, port: int = 0) -> int:
        """Listen on `port` (0 picks a free one; a busy remembered port falls back to a free one)."""
        if self._runner.server is None:
            await self._runner.setup()
        try:
            sock = _listen(self.host, port)
        except OSError:
            if port == 0:
                raise
            log.warning("port %d is taken; picking another (kubeconfig rewritten)", port)
            sock = _listen(self.host, 0)
        self._site = web.SockSite(self._runner, sock, ssl_context=self._ssl)
        await self._site.start()
        self.port = sock.getsockname()[1]
        return self.port

    async def close_port(self) -> None:
        """Refuse new connections and drop the open ones; the application stays ready to re-open."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner.server is not None:
            self._runner.server.pre_shutdown()
            await self._runner.server.shutdown(SHUTDOWN_TIMEOUT)

    async def stop(self) -> None:
        self._site = None
        await self._runner.cleanup()


class ClusterServer:
    """A cluster's store, its faults and its listener."""

    def __init__(self, store: ClusterStore, listener: Listener, faults: Faults) -> None:
        self.store = store
        self.listener = listener
        self.faults = faults


class Sandbox:
    """The sandbox process's clusters, admin API, kubeconfig and sandbox.json."""

    def __init__(self, state_dir: Path, clusters: list[str], *, tls: bool = True, host: str = "127.0.0.1",
                 bookmark_interval: float = 60.0) -> None:
        for name in clusters:
            check_cluster_name(name)
        self.files = StateDir(Path(state_dir))
        self.tls = tls
        self.host = host
        self.token = ""
        self.admin_port: int | None = None
        self.shutdown_requested = asyncio.Event()
        self.ready = True  # False while a preset is being applied: `up --detach` waits for it
        self.admin_routes: list[web.RouteDef] = []  # issue 3's admin endpoints, added before start()
        self._initial = list(dict.fromkeys(clusters))
        self._servers: dict[str, ClusterServer] = {}
        self._watch_settings = WatchSettings(bookmark_interval)
        self._ssl: ssl.SSLContext | None = None
        self._ca_pem: bytes | None = None
        self._admin: Listener | None = None
        self._remembered: dict[str, int] = {}
        self._started_at = ""

    # ------------------------------------------------------------------ views
    @property
    def kubeconfig_path(self) -> Path:
        return self.files.kubeconfig

    @property
    def clusters(self) -> dict[str, ClusterStore]:
        """Cluster name -> its store (in-process controllers work on these)."""
        return {name: server.store for name, server in self._servers.items()}

    @property
    def ports(self) -> dict[str, int]:
        return {name: server.listener.port for name, server in self._servers.items()}

    def faults(self, name: str) -> Faults:
        return self._server(name).faults

    def status(self) -> dict:
        return {"pid": os.getpid(), "ready": self.ready,
                "clusters": {name: {"port": s.listener.port, "offline": s.faults.offline}
                             for name, s in self._servers.items()}}

    # ------------------------------------------------------------------ lifetime
    async def start(self) -> None:
        ensure_private_dir(self.files.root)
        ensure_private_dir(self.files.db)
        self._started_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.token = load_or_create_token(self.files.root)
        if self.tls:
            material = ensure_certificates(self.files.root)
            self._ssl, self._ca_pem = material.server_ssl_context(), material.ca_pem
        info = read_info(self.files.root)
        self._remembered = dict(info.ports) if info else {}
        for name in self._initial:
            await self._open_cluster(name)
        self._admin = Listener(create_admin_app(self), self.host, self._ssl)
        self.admin_port = await self._admin.start()
        self._write_files(running=True)

    async def stop(self) -> None:
        for server in self._servers.values():
            server.store.close_watches()
        if self._admin is not None:
            await self._admin.stop()
            self._admin = None
        for server in self._servers.values():
            await server.listener.stop()
            server.store.close()
        self._write_files(running=False)
        self._servers.clear()

    # ------------------------------------------------------------------ clusters
    async def add_cluster(self, name: str) -> ClusterStore:
        """A new (or re-opened) cluster on its own port; the kubeconfig gains its context."""
        check_cluster_name(name)
        if name in self._servers:
            raise KeyError(name)
        await self._open_cluster(name)
        self._write_files(running=True)
        return self._servers[name].store

    async def remove_cluster(self, name: str) -> None:
        """Stop serving a cluster and delete its database (what `kind delete cluster` does)."""
        server = self._server(name)
        server.store.close_watches()
        await server.listener.stop()
        server.store.close()
        del self._servers[name]
        self._remembered.pop(name, None)
        remove_database(self._db_path(name))
        self._write_files(running=True)

    # ------------------------------------------------------------------ faults
    async def set_offline(self, name: str, offline: bool) -> None:
        """Offline: the port refuses connections (listener closed). Online: the same port again."""
        server = self._server(name)
        if offline and server.listener.open:
            server.faults.offline = True
            server.store.close_watches()
            await server.listener.close_port()
        elif not offline and not server.listener.open:
            server.faults.offline = False
            port = server.listener.port
            if await server.listener.start(port) != port:
                self._write_files(running=True)

    def drop_watches(self, name: str | None = None) -> int:
        return sum(s.store.close_watches() for s in self._selected(name))

    def expire_history(self, name: str | None = None) -> None:
        for server in self._selected(name):
            server.store.compact()

    def set_latency(self, name: str | None, milliseconds: float) -> None:
        for server in self._selected(name):
            server.faults.latency_ms = float(milliseconds)

    def set_error_rate(self, name: str | None, rate: float) -> None:
        if not 0 <= rate <= 1:
            raise SandboxConfigError(f"error rate must be between 0 and 1, not {rate}")
        for server in self._selected(name):
            server.faults.error_rate = float(rate)

    async def clear_faults(self, name: str | None = None) -> None:
        for server_name in [n for n, _ in self._named(name)]:
            await self.set_offline(server_name, False)
            self._servers[server_name].faults.clear()

    # ------------------------------------------------------------------ internals
    def _server(self, name: str) -> ClusterServer:
        try:
            return self._servers[name]
        except KeyError:
            raise KeyError(name) from None

    def _named(self, name: str | None) -> list[tuple[str, ClusterServer]]:
        if name is None:
            return list(self._servers.items())
        return [(name, self._server(name))]

    def _selected(self, name: str | None) -> list[ClusterServer]:
        return [server for _, server in self._named(name)]

    def _db_path(self, name: str) -> Path:
        return self.files.db / f"{name}.sqlite"

    async def _open_cluster(self, name: str) -> None:
        root_ca = self._ca_pem.decode() if self._ca_pem else ""
        store = ClusterStore(name, database=Database(self._db_path(name)), root_ca_pem=root_ca)
        faults = Faults()
        app = create_app(store, token=self.token, faults=faults, watch_settings=self._watch_settings)
        listener = Listener(app, self.host, self._ssl)
        try:
            await listener.start(self._remembered.get(name, 0))
        except BaseException:
            store.close()
            raise
        self._servers[name] = ClusterServer(store, listener, faults)

    def _write_files(self, *, running: bool) -> None:
        """sandbox.json (pid and admin port only while running; ports always) and the kubeconfig."""
        ports = {**self._remembered, **self.ports} if not running else self.ports
        info: dict = {"ports": ports, "tls": self.tls}
        if running:
            info.update(pid=os.getpid(), admin_port=self.admin_port, started_at=self._started_at)
            write_kubeconfig(self.files.kubeconfig, ports, self.token, self._ca_pem, host=self.host)
        write_private_file(self.files.info, json.dumps(info, indent=2).encode() + b"\n")
