"""Faults injected into one cluster's API on demand (tests, demos, the reliability suite)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kstellar_tui.sandbox.apiserver.errors import ApiError


@dataclass
class Faults:
    """What is currently wrong with a cluster. `offline` is enforced by the runtime (it closes the
    listener); latency and errors by the server's middleware on every request."""

    offline: bool = False
    latency_ms: float = 0.0
    error_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def injected_error(self) -> ApiError | None:
        """The error this request is answered with, if the dice say so."""
        if self.error_rate > 0 and self.rng.random() < self.error_rate:
            return ApiError(500, "InternalError", "Internal error occurred: injected by the sandbox's errors fault",
                            {"causes": [{"message": "injected by the sandbox's errors fault"}]})
        return None

    def clear(self) -> None:
        self.offline = False
        self.latency_ms = 0.0
        self.error_rate = 0.0
