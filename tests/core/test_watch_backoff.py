"""Retry timing of the watch loops: a cluster back from an outage of any length is watched again
within seconds (issue 9: the monitor agrees with the cluster within 5 s of the last fault)."""

from __future__ import annotations

import random

from kstellar_tui.core.kube.watch import Backoff


def test_after_a_long_outage_the_next_retry_comes_within_four_seconds() -> None:
    backoff = Backoff(rng=random.Random(1))
    delays = [backoff.next() for _ in range(40)]  # about two minutes of failed attempts
    assert max(delays) <= 4.0, "a cluster back from a long outage would look stale for too long"
    assert delays[:5] == sorted(delays[:5]) and delays[0] <= 0.2  # a blip is retried at once, then slower


def test_a_good_sync_makes_the_next_failure_retry_at_once() -> None:
    backoff = Backoff(rng=random.Random(2))
    for _ in range(40):
        backoff.next()
    backoff.reset()
    assert backoff.next() <= 0.2
