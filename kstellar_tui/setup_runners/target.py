"""Where a guided setup runs — this machine's tools, or the embedded sandbox — and the backend
that does it there. The CLI and the setup screens both start from a `SetupTarget`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kstellar_tui.core.setup.runner import Backend


@dataclass(frozen=True)
class SetupTarget:
    sandbox_dir: Path | None = None
    """The sandbox state dir; None means the host."""
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    """The environment the host's commands run with (PATH, KUBECONFIG, HOME, proxies)."""

    @classmethod
    def host(cls, env: Mapping[str, str] | None = None) -> SetupTarget:
        return cls(None, dict(os.environ if env is None else env))

    @classmethod
    def sandbox(cls, state_dir: Path) -> SetupTarget:
        return cls(state_dir.expanduser().absolute())

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox_dir is not None

    @property
    def poll_interval(self) -> float:
        """The sandbox settles in fractions of a second; real clusters in tens of seconds."""
        return 0.1 if self.is_sandbox else 1.0

    def describe(self) -> str:
        return f"in the sandbox ({self.sandbox_dir})" if self.sandbox_dir else "on this machine"

    def connect(self, platform: str) -> tuple[Backend, str]:
        """The backend, and a line saying what was found or started (the sandbox is started with
        `--preset empty` when none runs in its state dir)."""
        if self.sandbox_dir is None:
            from kstellar_tui.core.setup.host import HostBackend

            return HostBackend(self.env, platform), f"running the {platform} tools found on PATH"
        from kstellar_tui.sandbox import process
        from kstellar_tui.setup_runners.sandbox import SandboxBackend

        running, started = process.start_detached(process.UpOptions(state_dir=self.sandbox_dir, preset="empty"))
        note = f"sandbox {'started' if started else 'running'} (pid {running.pid}) in {self.sandbox_dir}"
        return SandboxBackend(self.sandbox_dir), note
