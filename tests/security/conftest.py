"""A sandbox built by the guided setup (`setup run --sandbox`, Steps 1 and 2 with the join) in a
tmp dir of its own, with every XDG dir beside it, so a test can scan all the product wrote; and
the scan itself: does a text hold a secret, whole or in part."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.sandbox._helpers import REPO_ROOT, Sandbox, _clean_env, kubectl_env, stop_quietly

FRAGMENT = 12
"""A quote of this many characters of a secret counts as a leak (error snippets truncate what they quote)."""


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """The names (never the values) of the secrets `text` quotes at least FRAGMENT characters of."""
    return [name for name, value in secrets.items()
            if any(value[i:i + FRAGMENT] in text for i in range(max(1, len(value) - FRAGMENT + 1)))]


def assert_no_leak(texts: Iterable[tuple[str, str]], secrets: dict[str, str]) -> None:
    """`texts` are (where, text) pairs; the failure names where and which secret, not its value."""
    assert all(len(v) >= FRAGMENT for v in secrets.values()), "a secret too short to scan for"
    found = [(where, names) for where, text in texts if (names := leaks(text, secrets))]
    assert found == [], f"secrets shown: {found}"


@dataclass
class World:
    """A sandbox made by the guided setup, the environment the product ran with, and what it printed."""

    base: Path
    sandbox: Sandbox
    shown: list[tuple[str, str]] = field(default_factory=list)
    """(command line, stdout + stderr) of every product command run through `run`."""

    @property
    def env(self) -> dict[str, str]:
        """The sandbox's kubeconfig, and XDG dirs (config, state, logs, drafts, screenshots) inside `base`."""
        xdg = _clean_env(self.base / "xdg")
        return kubectl_env(self.sandbox.kubeconfig) | {k: v for k, v in xdg.items() if k.startswith("XDG_")}

    def run(self, *args: str, input: str | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "kstellar_tui", *args], cwd=REPO_ROOT, env=self.env,
                              input=input, capture_output=True, text=True, timeout=timeout)
        self.shown.append((" ".join(args), done.stdout + done.stderr))
        return done

    def secrets(self) -> dict[str, str]:
        """The sandbox's bearer token and the join token `clusteradm get token` hands out."""
        join = self.sandbox.admin("GET", "/_sandbox/its/its1/token").json["token"]
        return {"sandbox bearer token": self.sandbox.token, "clusteradm join token": join}


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("security-world")
    world = World(base, Sandbox(state_dir=base / "state", clusters=[], cache_dir=base / "kubectl-cache"))
    try:
        setup = world.run("setup", "run", "--sandbox", "--yes", "--state-dir", str(world.sandbox.state_dir))
        assert setup.returncode == 0, setup.stdout + setup.stderr
        yield world
    finally:
        stop_quietly(world.sandbox)
