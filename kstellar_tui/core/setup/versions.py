"""Version numbers as numbers.

Upstream's `check_pre_req.sh` compares version strings with bash `[[ a < b ]]`, so it ranks
"v0.10.0" below "v0.9.3". We compare (major, minor, patch) as integers and can still say when
upstream's string comparison would have disagreed, so users are warned before the script bites."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBERS = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """The first `[v]X.Y[.Z]` in `text` (git-describe and build suffixes are ignored)."""
        match = _NUMBERS.search(text)
        if match is None:
            return None
        major, minor, patch = match.groups()
        return cls(int(major), int(minor), int(patch or 0))

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"


def string_less(a: str, b: str) -> bool:
    """bash's `[[ a < b ]]` in the C locale: what upstream's checker actually computes."""
    return a < b
