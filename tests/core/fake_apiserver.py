"""A scripted apiserver on 127.0.0.1 (HTTP or TLS) for watch-loop tests: lists serve `objects`,
paginated; each watch request runs the next queued script (chunks, a drop, an error status), and
with none left gets its headers and then silence; `refused` paths always get their own answer."""

from __future__ import annotations

import socket
import threading
import urllib.parse
from collections.abc import Callable

import orjson

from kstellar_tui.sandbox.tls import TlsMaterial

CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

Script = Callable[[socket.socket, dict], None]


def obj(name: str, rv: int, **data: str) -> dict:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "default", "resourceVersion": str(rv)},
            "data": data}


def line(type_: str, body: dict) -> bytes:
    return orjson.dumps({"type": type_, "object": body}) + b"\n"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def events(*lines: bytes, then: str = "drop") -> Script:
    """A watch answer: headers, one chunk per line, then the body's "end", a "drop" of the
    connection, or "silence" (what `FakeApiServer.close` ends)."""
    def script(conn: socket.socket, query: dict) -> None:
        conn.sendall(CHUNKED_HEAD)
        for data in lines:
            conn.sendall(chunk(data))
        if then == "silence":
            return
        if then == "end":
            conn.sendall(b"0\r\n\r\n")
        conn.close()
    return script


def status(code: int, message: str) -> Script:
    def script(conn: socket.socket, query: dict) -> None:
        body = orjson.dumps({"kind": "Status", "status": "Failure", "message": message, "code": code})
        conn.sendall(b"HTTP/1.1 %d Failure\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (code, len(body), body))
        conn.close()
    return script


class FakeApiServer:
    def __init__(self, tls: TlsMaterial | None = None) -> None:
        self.tls = tls
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self.objects: dict[str, dict] = {}
        self.resource_version = 1
        self.scripts: list[Script] = []
        self.watches: list[dict] = []  # the query of each watch request, in order
        self.lists: list[dict] = []
        self.held: list[socket.socket] = []
        self.refused: dict[str, Script] = {}  # path prefix -> the answer every request under it gets
        self._lock = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def client(self):
        from kubernetes import client as k8s

        cfg = k8s.Configuration()
        cfg.host = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"
        if self.tls:
            cfg.ssl_ca_cert = str(self.tls.files.ca_cert)
        cfg.api_key = {"BearerToken": "t"}
        cfg.api_key_prefix = {"BearerToken": "Bearer"}
        return k8s.ApiClient(cfg)

    def wait_for_watches(self, count: int, timeout: float = 10.0) -> None:
        with self._lock:
            assert self._lock.wait_for(lambda: len(self.watches) >= count, timeout), f"only {self.watches}"

    def close(self) -> None:
        self.sock.close()
        with self._lock:
            for conn in self.held:
                conn.close()

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
            if self.tls:
                conn = self.tls.server_ssl_context().wrap_socket(conn, server_side=True)
            while True:  # keep-alive: lists may share a connection; a watch ends it
                while b"\r\n\r\n" not in data:
                    received = conn.recv(65536)
                    if not received:
                        conn.close()
                        return
                    data += received
                head, data = data.split(b"\r\n\r\n", 1)
                target = urllib.parse.urlsplit(head.split(b"\r\n", 1)[0].split()[1].decode())
                query = dict(urllib.parse.parse_qsl(target.query))
                refusal = next((s for prefix, s in self.refused.items() if target.path.startswith(prefix)), None)
                if refusal is not None:
                    refusal(conn, query)
                    return
                if query.get("watch") == "true":
                    self._watch(conn, query)
                    return
                self._list(conn, query)
        except OSError:  # the client went away
            conn.close()

    def _watch(self, conn: socket.socket, query: dict) -> None:
        with self._lock:
            self.watches.append(query)
            self._lock.notify_all()
            script = self.scripts.pop(0) if self.scripts else None
            self.held.append(conn)
        (script or events(then="silence"))(conn, query)

    def _list(self, conn: socket.socket, query: dict) -> None:
        with self._lock:
            self.lists.append(query)
            items = [self.objects[name] for name in sorted(self.objects)]
            start = int(query.get("continue") or 0)
            limit = int(query.get("limit") or len(items) or 1)
            page = items[start:start + limit]
            more = start + limit < len(items)
            meta = {"resourceVersion": str(self.resource_version)} | ({"continue": str(start + limit)} if more else {})
        body = orjson.dumps({"kind": "ConfigMapList", "apiVersion": "v1", "metadata": meta, "items": page})
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
