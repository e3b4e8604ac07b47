"""The sandbox's kubeconfig: one cluster, user and context per virtual cluster, named after it.

Rewritten at every start and whenever a cluster is added or removed; the current context a user
picked (`kubectl config use-context`) survives the rewrite while that cluster exists.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from pathlib import Path

import yaml

from kstellar_tui.core.safe_yaml import safe_load_fast
from kstellar_tui.sandbox.credentials import write_private_file

PREFERRED_CONTEXTS = ("wds1", "its1", "kind-kubeflex")


def server_url(port: int, *, host: str = "127.0.0.1", tls: bool = True) -> str:
    """`https://127.0.0.1:<port>` (IPv6 hosts bracketed)."""
    try:
        bracketed = f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        bracketed = host
    return f"{'https' if tls else 'http'}://{bracketed}:{port}"


def write_kubeconfig(path: Path, clusters: Mapping[str, int], token: str, ca_pem: bytes | None, *,
                     host: str = "127.0.0.1") -> None:
    """Write `path` atomically with mode 0600. `clusters` maps name to port; `ca_pem=None` means plain http."""
    names = list(clusters)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": name, "cluster": _cluster_entry(port, ca_pem, host)} for name, port in clusters.items()],
        "users": [{"name": name, "user": {"token": token}} for name in names],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}} for name in names],
        "current-context": _current_context(path, names),
    }
    write_private_file(path, yaml.safe_dump(config, sort_keys=False).encode())


def _cluster_entry(port: int, ca_pem: bytes | None, host: str) -> dict[str, str]:
    entry = {"server": server_url(port, host=host, tls=ca_pem is not None)}
    if ca_pem is not None:
        entry["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return entry


def _current_context(path: Path, names: list[str]) -> str:
    """Keep the user's choice if it still exists, else a hub space, else the first cluster."""
    previous = _previous_context(path)
    if previous in names:
        return previous
    preferred = [n for n in PREFERRED_CONTEXTS if n in names] or [n for n in names if n.startswith("wds")]
    return (preferred or names or [""])[0]


def _previous_context(path: Path) -> str | None:
    try:
        loaded = safe_load_fast(path.read_text())  # libyaml: read at every cluster added
    except (OSError, yaml.YAMLError):
        return None
    return loaded.get("current-context") if isinstance(loaded, dict) else None
