"""Keeping secrets (the `clusteradm` join token) out of every line we show, log or raise.

Known secret values are replaced wherever they occur; as a second fence, whatever follows a
`--hub-token` flag or a `token=` assignment is masked even if we never learnt its value."""

from __future__ import annotations

import re
import threading

MASK = "***"
_FLAGGED = re.compile(r"(--hub-token(?:=|\s+))(?!\$)(\S+)|(\btoken=)(\S+)")


class Redactor:
    """Thread-safe: the runner adds secrets while output from other steps may be redacted."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        if secret:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, MASK)
        return _FLAGGED.sub(_mask_flagged, text)


def _mask_flagged(match: re.Match[str]) -> str:
    prefix = match.group(1) or match.group(3)
    value = match.group(2) or match.group(4)
    return prefix + (value if value == MASK else MASK)
