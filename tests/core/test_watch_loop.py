"""ListWatch over real HTTP and HTTPS on 127.0.0.1, against a scripted apiserver.

Every test runs twice, over plain HTTP and over TLS (what users have: the stream hub must also
handle bytes that TLS decrypted but the selector cannot see). Each watch request the fake
receives runs the next script the test queued (a function that writes the raw response: chunks,
a drop, an error status); with no script left, the watch gets its headers and then silence.
Lists serve `objects`, paginated. Watch bodies are read by the stream hub, so every test here
goes through it (or through its fallback, where said)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import orjson
import pytest

from kstellar_tui.core.kube.stream_hub import StreamHub
from kstellar_tui.core.kube.watch import Backoff, ConnState, ListWatch, Resource, decode_events
from kstellar_tui.sandbox.tls import TlsMaterial, ensure_certificates
from tests.core.fake_apiserver import CHUNKED_HEAD, FakeApiServer, chunk, events, line, obj, status

CONFIGMAPS = Resource("", "v1", "configmaps", "default")
class Recorder:
    """A sink that remembers everything, and lets the test wait (without sleeping) for what it expects."""

    def __init__(self) -> None:
        self.replaced: list[list[str]] = []  # one entry per complete (re)list
        self._listing: list[str] = []
        self.received: list[tuple[str, str, str]] = []  # (type, name, resourceVersion)
        self.states: list[tuple[ConnState, str]] = []
        self.threads: set[str] = set()
        self._changed = threading.Condition()

    def page(self, resource, objects, first, last):
        with self._changed:
            if first:
                self._listing = []
            self._listing += [o["metadata"]["name"] + "@" + o["metadata"]["resourceVersion"] for o in objects]
            if last:
                self.replaced.append(self._listing)
            self._changed.notify_all()

    def events(self, resource, lines):
        with self._changed:
            self.threads.add(threading.current_thread().name)
            self.received.extend((t, o["metadata"]["name"], o["metadata"]["resourceVersion"])
                               for t, o in decode_events(lines))
            self._changed.notify_all()

    def state(self, resource, state, detail, since):
        with self._changed:
            self.states.append((state, detail))
            self._changed.notify_all()

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        with self._changed:
            assert self._changed.wait_for(condition, timeout), f"timed out waiting for {what}: {self.__dict__}"


class RecordingBackoff(Backoff):
    def __init__(self) -> None:
        super().__init__(base=0.01, cap=0.04, rng=random.Random(7))
        self.delays: list[tuple[int, float]] = []  # (failures before, delay)

    def next(self) -> float:
        failures = self.failures
        delay = super().next()
        self.delays.append((failures, delay))
        return delay


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    return ensure_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=["http", "https"])
def server(request, certificates):
    fake = FakeApiServer(certificates if request.param == "https" else None)
    yield fake
    fake.close()


@pytest.fixture()
def run_loop(server):
    loops: list[tuple[ListWatch, threading.Thread]] = []

    def start(sink, **options) -> tuple[ListWatch, threading.Thread]:
        options.setdefault("backoff", Backoff(base=0.01, cap=0.05))
        loop = ListWatch(server.client(), CONFIGMAPS, sink, **options)
        thread = threading.Thread(target=loop.run, name="watch loop", daemon=True)
        thread.start()
        loops.append((loop, thread))
        return loop, thread

    yield start
    for loop, thread in loops:
        loop.stop()
    for loop, thread in loops:
        thread.join(2)
        assert not thread.is_alive()


def test_resumes_from_the_newest_event_or_bookmark_without_duplicates(server, run_loop):
    server.objects = {"a": obj("a", 5)}
    server.resource_version = 5
    server.scripts = [
        events(line("MODIFIED", obj("a", 6)), line("ADDED", obj("b", 7))),  # then the connection drops
        events(line("MODIFIED", obj("b", 8)), line("BOOKMARK", {"metadata": {"resourceVersion": "10"}}), then="end"),
    ]
    sink = Recorder()
    run_loop(sink)
    server.wait_for_watches(3)
    assert [w["resourceVersion"] for w in server.watches] == ["5", "7", "10"]
    assert sink.received == [("MODIFIED", "a", "6"), ("ADDED", "b", "7"), ("MODIFIED", "b", "8")]
    assert sink.replaced == [["a@5"]]  # resumed each time: never re-listed
    assert all(w["allowWatchBookmarks"] == "true" for w in server.watches)


@pytest.mark.parametrize("expiry", ["ERROR event", "HTTP 410"])
def test_expired_version_relists_and_keeps_the_update_made_meanwhile(server, run_loop, expiry):
    server.objects = {"a": obj("a", 5, v="old")}
    server.resource_version = 5

    def expire(conn, query):
        server.objects["a"] = obj("a", 9, v="new")  # changed while history was lost: no watch tells
        server.resource_version = 9
        gone = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version: 5 (9)"}
        (events(line("ERROR", gone)) if expiry == "ERROR event" else status(410, gone["message"]))(conn, query)

    server.scripts = [expire]
    sink = Recorder()
    run_loop(sink)
    server.wait_for_watches(2)
    assert sink.replaced == [["a@5"], ["a@9"]]
    assert [w["resourceVersion"] for w in server.watches] == ["5", "9"]
    assert not any(s in (ConnState.STALE, ConnState.OFFLINE) for s, _ in sink.states)  # 410 is routine


def test_dropped_connection_reconnects_with_growing_capped_backoff(server, run_loop):
    server.scripts = [events(line("ADDED", obj("a", 2))), status(500, "etcd is sulking"),
                      status(500, "etcd is sulking"), status(500, "etcd is sulking")]
    sink = Recorder()
    backoff = RecordingBackoff()
    run_loop(sink, backoff=backoff)
    server.wait_for_watches(5)
    sink.wait(lambda: sink.states[-1][0] is ConnState.SYNCED, "synced again")
    assert [failures for failures, _ in backoff.delays] == [0, 1, 2, 3]
    for failures, delay in backoff.delays:
        ceiling = min(backoff.cap, backoff.base * 2 ** failures)
        assert ceiling / 2 <= delay <= ceiling
    assert backoff.failures == 0  # reset by the good watch
    states = [s for s, _ in sink.states]
    assert states[:3] == [ConnState.CONNECTING, ConnState.SYNCING, ConnState.SYNCED]
    assert states[3:] == [ConnState.STALE, ConnState.OFFLINE, ConnState.OFFLINE, ConnState.OFFLINE, ConnState.SYNCED]
    assert "closed the watch connection" in sink.states[3][1]
    assert "etcd is sulking" in sink.states[4][1]
    assert [w["resourceVersion"] for w in server.watches] == ["1", "2", "2", "2", "2"]


def test_list_follows_continue_tokens(server, run_loop):
    server.objects = {n: obj(n, 3) for n in "abcde"}
    server.resource_version = 3
    sink = Recorder()
    run_loop(sink, page_size=2)
    sink.wait(lambda: sink.replaced, "the list")
    assert sink.replaced == [[f"{n}@3" for n in "abcde"]]
    assert [q.get("continue") for q in server.lists] == [None, "2", "4"]


def test_events_sent_with_the_headers_are_not_lost(server, run_loop):
    """http.client reads ahead while parsing headers: the hub must take those bytes over too."""
    def eager(conn, query):
        body = b"".join(chunk(line("ADDED", obj(n, 2 + i))) for i, n in enumerate("abc"))
        conn.sendall(CHUNKED_HEAD + body + b"0\r\n\r\n")
        conn.close()

    server.scripts = [eager]
    sink = Recorder()
    run_loop(sink)
    server.wait_for_watches(2)
    assert sink.received == [("ADDED", "a", "2"), ("ADDED", "b", "3"), ("ADDED", "c", "4")]
    assert server.watches[1]["resourceVersion"] == "4"


def test_events_in_the_headers_record_arrive_without_more_bytes(server, run_loop):
    """Headers and 12 KB of events in one write (one TLS record): http.client's reader takes 8 KB,
    TLS keeps the rest decrypted but unread, and the socket then goes quiet."""
    def one_write(conn, query):
        body = b"".join(chunk(line("ADDED", obj(f"cm{i}", 2 + i, blob="x" * 3000))) for i in range(4))
        conn.sendall(CHUNKED_HEAD + body)

    server.scripts = [one_write]
    sink = Recorder()
    run_loop(sink)
    sink.wait(lambda: len(sink.received) == 4, "the four events")
    assert [name for _, name, _ in sink.received] == ["cm0", "cm1", "cm2", "cm3"]


def test_an_event_split_across_chunks_and_reads_arrives_whole(server, run_loop):
    data = line("ADDED", obj("big", 2, blob="x" * 300_000))

    def dribble(conn, query):
        conn.sendall(CHUNKED_HEAD)
        for start in range(0, len(data), 4096):  # like Go's bufio: chunks that do not follow lines
            conn.sendall(chunk(data[start:start + 4096]))
        conn.sendall(b"0\r\n\r\n")
        conn.close()

    server.scripts = [dribble]
    sink = Recorder()
    run_loop(sink)
    sink.wait(lambda: sink.received, "the big event")
    assert sink.received == [("ADDED", "big", "2")]


def test_an_unchunked_body_is_read_on_the_loop_thread(server, run_loop):
    def close_delimited(conn, query):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                     + line("ADDED", obj("a", 2)) + line("MODIFIED", obj("a", 3)))
        conn.close()

    server.scripts = [close_delimited]
    sink = Recorder()
    _, thread = run_loop(sink)
    server.wait_for_watches(2)
    assert sink.received == [("ADDED", "a", "2"), ("MODIFIED", "a", "3")]
    assert server.watches[1]["resourceVersion"] == "3"
    assert sink.threads == {thread.name}


def test_lines_in_another_shape_are_decoded(server, run_loop):
    reordered = orjson.dumps({"object": obj("a", 2), "type": "ADDED"}) + b"\n"
    pretty = orjson.dumps({"type": "MODIFIED", "object": obj("a", 3)}, option=orjson.OPT_INDENT_2).replace(b"\n", b" ")
    server.scripts = [events(reordered, b"\n", b"  \n", pretty + b"\r\n", line("DELETED", obj("a", 4)), then="end")]
    sink = Recorder()
    run_loop(sink)
    server.wait_for_watches(2)
    assert sink.received == [("ADDED", "a", "2"), ("MODIFIED", "a", "3"), ("DELETED", "a", "4")]
    assert server.watches[1]["resourceVersion"] == "4"


def test_malformed_json_ends_the_stream_and_resumes(server, run_loop):
    server.scripts = [events(line("ADDED", obj("a", 2)), b'{"type":"ADDED","object":{"metadata":\n')]
    sink = Recorder()
    run_loop(sink)
    server.wait_for_watches(2)
    assert sink.received == [("ADDED", "a", "2")]
    assert any(s is ConnState.STALE and "malformed JSON" in d for s, d in sink.states)
    assert server.watches[1]["resourceVersion"] == "2"


def test_stop_during_backoff_ends_the_loop_within_a_second(server, run_loop):
    server.scripts = [status(500, "down")]
    sink = Recorder()
    loop, thread = run_loop(sink, backoff=Backoff(base=60, cap=60))
    sink.wait(lambda: any(s is ConnState.STALE for s, _ in sink.states), "the failure")
    loop.stop()
    thread.join(1.0)
    assert not thread.is_alive(), "run() still waiting out its backoff 1 s after stop()"


def test_many_streams_share_one_reader_thread(server):
    """100 loops, one hub: each stream's events arrive whole, in order, all delivered by the hub."""
    streams, per_stream = 100, 40
    server.scripts = [events(*(line("MODIFIED", obj(f"s{s}-{i}", 2 + i)) for i in range(per_stream)), then="silence")
                      for s in range(streams)]
    hub = StreamHub()
    sinks = [Recorder() for _ in range(streams)]
    client = server.client()
    loops = [ListWatch(client, CONFIGMAPS, sink, hub=hub, backoff=Backoff(base=0.01, cap=0.05)) for sink in sinks]
    threads = [threading.Thread(target=loop.run, daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    try:
        for sink in sinks:
            sink.wait(lambda sink=sink: len(sink.received) == per_stream, "a stream's events")
        received = sorted(tuple(sink.received) for sink in sinks)
        expected = sorted(tuple(("MODIFIED", f"s{s}-{i}", str(2 + i)) for i in range(per_stream))
                          for s in range(streams))
        assert received == expected
        assert set().union(*(sink.threads for sink in sinks)) == {hub._thread.name}
        assert all(sink.replaced == [[]] for sink in sinks)
    finally:
        for loop in loops:
            loop.stop()
        for thread in threads:
            thread.join(2)
        hub.close()
    assert not any(thread.is_alive() for thread in threads)
