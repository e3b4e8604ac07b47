"""A watch whose server goes silent (no bytes, no FIN) is noticed through the read timeout.

A purpose-built fake over real TCP: it answers the list, then accepts the watch and never writes,
which is what a half-open connection after laptop sleep or a dropped NAT entry looks like."""

from __future__ import annotations

import socket
import threading
import time

import orjson
import pytest

from kstellar_tui.core.kube.watch import Backoff, ConnState, ListWatch, Resource

LIST_BODY = orjson.dumps({"kind": "ConfigMapList", "apiVersion": "v1",
                          "metadata": {"resourceVersion": "7"},
                          "items": [{"metadata": {"name": "a", "namespace": "default", "resourceVersion": "7"}}]})


class SilentServer:
    """Answers list requests; starts watch responses, then never sends another byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.watches = 0
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        data = b""
        while True:  # keep-alive: several requests may arrive on one connection
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, data = data.split(b"\r\n\r\n", 1)
            if b"watch=true" in head.split(b"\r\n", 1)[0]:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
                self.watches += 1
                self.held.append(conn)  # the stream goes silent
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(LIST_BODY)).encode() + b"\r\n\r\n" + LIST_BODY)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


class Recorder:
    def __init__(self) -> None:
        self.states: list[tuple[ConnState, str]] = []
        self.replaced: list[list[dict]] = []

    def replace(self, resource, objects):
        self.replaced.append(objects)

    def events(self, resource, batch):
        pass

    def state(self, resource, state, detail, since):
        self.states.append((state, detail))


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture()
def client():
    from kubernetes import client as k8s

    server = SilentServer()
    cfg = k8s.Configuration()
    cfg.host = f"http://127.0.0.1:{server.port}"
    cfg.api_key = {"BearerToken": "t"}
    cfg.api_key_prefix = {"BearerToken": "Bearer"}
    yield server, k8s.ApiClient(cfg)
    server.close()


def test_silent_connection_is_detected_and_reported(client):
    server, api = client
    sink = Recorder()
    loop = ListWatch(api, Resource("", "v1", "configmaps"), sink, read_timeout=0.3,
                     backoff=Backoff(base=0.01, cap=0.05))
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: any(s is ConnState.STALE for s, _ in sink.states))
        stale_detail = next(d for s, d in sink.states if s is ConnState.STALE)
        assert "read timeout" in stale_detail
        assert sink.replaced[0][0]["metadata"]["name"] == "a"
        wait_for(lambda: server.watches >= 2)  # it reconnected rather than hanging on the dead socket
    finally:
        loop.stop()
        thread.join(2)
    assert not thread.is_alive()


def test_stop_interrupts_a_blocked_read_within_a_second(client):
    server, api = client
    loop = ListWatch(api, Resource("", "v1", "configmaps"), Recorder(), read_timeout=60)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    wait_for(lambda: server.watches >= 1)
    started = time.monotonic()
    loop.stop()
    thread.join(1.0)
    assert not thread.is_alive(), "run() still blocked 1 s after stop()"
    assert time.monotonic() - started < 1.0
