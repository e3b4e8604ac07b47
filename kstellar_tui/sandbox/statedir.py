"""Names of the files in a sandbox state directory (docs/dev/sandbox-contracts.md, "State directory").

Standard library only: the CLI's headless commands read these paths without loading the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StateDir:
    """One sandbox's state directory; every part of the sandbox finds its files through this."""

    root: Path

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def info(self) -> Path:
        """sandbox.json: pid, admin port, cluster ports."""
        return self.root / "sandbox.json"

    @property
    def token(self) -> Path:
        return self.root / "token"

    @property
    def tls(self) -> Path:
        return self.root / "tls"

    @property
    def ca_cert(self) -> Path:
        return self.tls / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.tls / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.tls / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.tls / "server.key"

    @property
    def db(self) -> Path:
        return self.root / "db"

    @property
    def log(self) -> Path:
        return self.root / "sandbox.log"

    @property
    def lock(self) -> Path:
        return self.root / "sandbox.lock"
