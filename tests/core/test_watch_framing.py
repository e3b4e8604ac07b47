"""The pure parts of the watch path: chunked framing, event lines, backoff."""

from __future__ import annotations

import random

import orjson

from kstellar_tui.core.kube.stream_hub import Dechunker
from kstellar_tui.core.kube.watch import Backoff, decode_events, event_head

PAYLOADS = [b'{"type":"ADDED","object":{}}\n', b"x" * 300, b"partial line ", b"rest\n"]
BODY = (b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in PAYLOADS[:2])
        + b"%x;name=value\r\n%s\r\n" % (len(PAYLOADS[2]), PAYLOADS[2])  # a chunk extension
        + b"%X\r\n%s\r\n" % (len(PAYLOADS[3]), PAYLOADS[3])
        + b"0\r\nTrailer: ignored\r\n\r\n")


def test_dechunking_does_not_depend_on_where_reads_split_the_body():
    last_chunk_seen = BODY.index(b"0\r\nTrailer") + 3
    for cut in range(1, len(BODY)):
        dechunker = Dechunker()
        first = dechunker.feed(BODY[:cut])
        assert dechunker.done == (cut >= last_chunk_seen)
        assert first + dechunker.feed(BODY[cut:]) == b"".join(PAYLOADS)
        assert dechunker.done


def test_dechunking_byte_by_byte():
    dechunker = Dechunker()
    assert b"".join(dechunker.feed(BODY[i:i + 1]) for i in range(len(BODY))) == b"".join(PAYLOADS)
    assert dechunker.done


def test_a_large_chunk_is_held_until_complete():
    payload = bytes(range(256)) * 4000
    body = b"%x\r\n%s\r\n" % (len(payload), payload)
    dechunker = Dechunker()
    pieces = [dechunker.feed(body[i:i + 16384]) for i in range(0, len(body), 16384)]
    assert pieces[:-1] == [b""] * (len(pieces) - 1)
    assert pieces[-1] == payload


def test_decode_events_skips_lines_that_are_not_json():
    lines = [orjson.dumps({"type": "ADDED", "object": {"metadata": {"name": "a"}}}),
             b'{"type":"ADDED","object":{"metadata":}',
             orjson.dumps({"type": "DELETED"})]
    assert decode_events(lines) == [("ADDED", {"metadata": {"name": "a"}}), ("DELETED", {})]


def test_event_head_reads_type_kind_namespace_and_name_as_apiservers_write_them():
    typed = b'{"type":"MODIFIED","object":{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web",' \
            b'"generateName":"w-","namespace":"shop","uid":"1"},"spec":{}}}'
    custom = b'{"type":"ADDED","object":{"apiVersion":"example.io/v1","kind":"Widget","metadata":{"name":"w",' \
             b'"namespace":"ns"}}}'
    cluster_scoped = b'{"type":"DELETED","object":{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}}'
    assert event_head(typed) == ("MODIFIED", "Deployment", "shop", "web")
    assert event_head(custom) == ("ADDED", "Widget", "ns", "w")
    assert event_head(cluster_scoped) == ("DELETED", "Namespace", "", "shop")


def test_event_head_leaves_lines_it_cannot_be_sure_of_to_the_decoder():
    """A wrong name would file the object under another row: anything unusual is decoded instead."""
    namespace_later = (b'{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a",'
                       b'"uid":"1","namespace":"elsewhere"}}}')
    escaped = b'{"type":"ADDED","object":{"kind":"X","apiVersion":"v1","metadata":{"name":"a\\"b","namespace":"n"}}}'
    sorted_metadata = (b'{"type":"ADDED","object":{"apiVersion":"v1","kind":"X",'
                       b'"metadata":{"annotations":{},"name":"a"}}}')
    bookmark = b'{"type":"BOOKMARK","object":{"kind":"X","apiVersion":"v1","metadata":{"name":"a"}}}'
    for line in (namespace_later, escaped, sorted_metadata, bookmark, b"not json"):
        assert event_head(line) is None, line


def test_backoff_grows_to_its_cap_with_jitter_and_resets():
    backoff = Backoff(base=0.5, cap=4.0, rng=random.Random(3))
    delays = [backoff.next() for _ in range(7)]
    for failures, delay in enumerate(delays):
        ceiling = min(4.0, 0.5 * 2 ** failures)
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered: retries of many loops do not line up
    backoff.reset()
    assert 0.25 <= backoff.next() <= 0.5
