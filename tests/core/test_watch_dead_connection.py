"""A watch whose server goes silent (no bytes, no FIN) is noticed through the read timeout.

The fake answers the list, then starts the watch and never writes again: what a half-open
connection after laptop sleep or a dropped NAT entry looks like."""

from __future__ import annotations

import threading
import time

import pytest

from kstellar_tui.core.kube.watch import Backoff, ConnState, ListWatch, Resource
from tests.core.fake_apiserver import FakeApiServer, obj


class Recorder:
    def __init__(self) -> None:
        self.states: list[tuple[ConnState, str]] = []
        self.replaced: list[list[dict]] = []

    def page(self, resource, objects, first, last):
        self.replaced.append(objects)  # every list here is one page

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
def server():
    """Lists one ConfigMap; every watch gets its headers and then silence (no script is queued)."""
    fake = FakeApiServer()
    fake.objects = {"a": obj("a", 7)}
    fake.resource_version = 7
    yield fake
    fake.close()


def test_silent_connection_is_detected_and_reported(server):
    sink = Recorder()
    loop = ListWatch(server.client(), Resource("", "v1", "configmaps"), sink, read_timeout=0.3,
                     backoff=Backoff(base=0.01, cap=0.05))
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: any(s is ConnState.STALE for s, _ in sink.states))
        stale_detail = next(d for s, d in sink.states if s is ConnState.STALE)
        assert "read timeout" in stale_detail
        assert sink.replaced[0][0]["metadata"]["name"] == "a"
        server.wait_for_watches(2)  # it reconnected rather than hanging on the dead socket
    finally:
        loop.stop()
        thread.join(2)
    assert not thread.is_alive()


def test_stop_interrupts_a_blocked_read_within_a_second(server):
    loop = ListWatch(server.client(), Resource("", "v1", "configmaps"), Recorder(), read_timeout=60)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    server.wait_for_watches(1)
    started = time.monotonic()
    loop.stop()
    thread.join(1.0)
    assert not thread.is_alive(), "run() still blocked 1 s after stop()"
    assert time.monotonic() - started < 1.0
