"""Kubeconfig contexts, parsed once, and one API client per context.

Context names are read with a plain YAML parse (no `kubernetes` import: headless commands and the
first frame stay fast); clients come from the official package, which owns auth and transport
(exec plugins, token refresh, client certificates, proxies)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class KubeConfigError(Exception):
    """A kubeconfig problem worded for the user: which file, which context, what is wrong."""


@dataclass(frozen=True)
class Context:
    name: str
    cluster: str
    user: str
    namespace: str
    server: str


def kubeconfig_paths(explicit: str | None = None) -> list[Path]:
    """`--kubeconfig` wins, then `KUBECONFIG` (a path list), then ~/.kube/config — kubectl's order."""
    raw = explicit or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p]


class KubeConfig:
    """The merged view of one or more kubeconfig files; the first definition of a name wins."""

    def __init__(self, paths: list[Path], contexts: dict[str, Context], current: str | None,
                 explicit: str | None = None):
        self.explicit = explicit
        self.paths = paths
        self.contexts = contexts
        self.current = current
        self._clients: dict[str, Any] = {}
        self._merged: Any = None  # the package's parse of the files, shared by every client built
        self._lock = threading.Lock()

    @classmethod
    def load(cls, explicit: str | None = None) -> KubeConfig:
        paths = kubeconfig_paths(explicit)
        clusters: dict[str, dict] = {}
        users: dict[str, dict] = {}
        raw_contexts: dict[str, dict] = {}
        current: str | None = None
        readable = [p for p in paths if p.exists()]
        if explicit and not readable:
            raise KubeConfigError(f"kubeconfig {explicit} does not exist")
        for path in readable:
            doc = _read(path)
            for kind, into in (("clusters", clusters), ("users", users), ("contexts", raw_contexts)):
                for entry in doc.get(kind) or []:
                    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                        into.setdefault(entry["name"], entry.get(kind[:-1]) or {})
            current = current or doc.get("current-context") or None
        contexts = {
            name: Context(
                name=name,
                cluster=str(ctx.get("cluster", "")),
                user=str(ctx.get("user", "")),
                namespace=str(ctx.get("namespace") or "default"),
                server=str((clusters.get(str(ctx.get("cluster", ""))) or {}).get("server", "")),
            )
            for name, ctx in raw_contexts.items()
            if isinstance(ctx, dict)
        }
        return cls(readable, contexts, current, explicit)

    def refresh(self) -> bool:
        """Re-read the files (tools such as kind and kflex add contexts while we run); clients of
        contexts that changed are rebuilt on next use. Returns whether any context changed."""
        fresh = KubeConfig.load(self.explicit)
        changed = fresh.contexts != self.contexts
        with self._lock:
            for name in [n for n in self._clients if fresh.contexts.get(n) != self.contexts.get(n)]:
                del self._clients[name]
            self.paths, self.contexts, self.current = fresh.paths, fresh.contexts, fresh.current
            self._merged = None
        return changed

    def require(self, name: str) -> Context:
        try:
            return self.contexts[name]
        except KeyError:
            known = ", ".join(sorted(self.contexts)) or "none"
            files = ", ".join(map(str, self.paths)) or "no kubeconfig file"
            raise KubeConfigError(f'context "{name}" not found in {files} (contexts: {known})') from None

    def client(self, name: str) -> Any:
        """The official `ApiClient` for a context, built once (building one loads certs).

        What `config.new_client_from_config` does, but with the files parsed once for every
        context: it parses them per client, and a 200-WEC kubeconfig then took a minute."""
        self.require(name)
        with self._lock:
            if name not in self._clients:
                from kubernetes import client  # deferred: ~0.5 s of imports
                from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

                try:
                    if self._merged is None:
                        self._merged = KubeConfigMerger(os.pathsep.join(map(str, self.paths)))
                    # as new_client_from_config does: a fresh object, never a copy of the package's default
                    configuration = type.__call__(client.Configuration)
                    KubeConfigLoader(config_dict=self._merged.config, config_base_path=None, active_context=name,
                                     config_persister=self._merged.save_changes).load_and_set(configuration)
                    self._clients[name] = client.ApiClient(configuration=configuration)
                except Exception as exc:  # the package raises ConfigException, ValueError, OSError…
                    raise KubeConfigError(f'context "{name}": {exc}') from exc
            return self._clients[name]


def _read(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise KubeConfigError(f"cannot read kubeconfig {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        # never str(exc): its snippet quotes the file, and the line may hold a token or a key
        raise KubeConfigError(f"kubeconfig {path} is not valid YAML: {_yaml_problem(exc)}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise KubeConfigError(f"kubeconfig {path} is not a kubeconfig (top level is not a mapping)")
    return doc


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """What is wrong and where (line, column), without quoting the file."""
    mark = getattr(exc, "problem_mark", None)
    what = ", ".join(filter(None, [getattr(exc, "context", None), getattr(exc, "problem", None)]))
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return (what or type(exc).__name__) + where
