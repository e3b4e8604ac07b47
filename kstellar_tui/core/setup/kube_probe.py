"""The Kubernetes reads of checks and waits, over whatever kubeconfig the commands write.

The kubeconfig changes under us during a setup (kind adds contexts, `kflex ctx` rewrites them),
so it is re-read whenever its files change. Requests are raw JSON through the official client's
transport (auth, TLS, proxies), like the watch loops: no models."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson
import yaml

from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError

REQUEST_TIMEOUT = (3.05, 10.0)


class ApiError(Exception):
    """The API server refused a request; the message is the server's own."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{message} (HTTP {code})")
        self.code = code


def kubeconfig_files(env: Mapping[str, str]) -> list[Path]:
    """The files kubectl would use with this environment: KUBECONFIG, else $HOME/.kube/config."""
    raw = env.get("KUBECONFIG") or str(Path(env.get("HOME") or Path.home()) / ".kube" / "config")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p]


class KubeProbe:
    """`steps.Probe` over kubeconfig files; `platform_clusters` is supplied by the runner's backend
    (a CLI read on the host, the admin API in the sandbox)."""

    def __init__(self, files: list[Path], platform_clusters: Callable[[], frozenset[str]]):
        self.files = files
        self._platform_clusters = platform_clusters
        self._signature: tuple | None = None
        self._config = KubeConfig([], {}, None)

    # -- kubeconfig ------------------------------------------------------------------------------
    def _current(self) -> KubeConfig:
        signature = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else (str(p),)
                          for p in self.files)
        if signature != self._signature:
            try:
                self._config = KubeConfig.load(os.pathsep.join(map(str, self.files)))
            except KubeConfigError:  # not written yet, or caught mid-write: no contexts for now
                self._config = KubeConfig([], {}, None)
            self._signature = signature
        return self._config

    def contexts(self) -> frozenset[str]:
        return frozenset(self._current().contexts)

    def kflex_hosting_context(self) -> str | None:
        for path in self.files:
            try:
                doc = yaml.safe_load(path.read_text()) or {}
            except (OSError, yaml.YAMLError):
                continue
            found = _kflex_hosting(doc) if isinstance(doc, dict) else None
            if found:
                return found
        return None

    def platform_clusters(self) -> frozenset[str]:
        return self._platform_clusters()

    # -- API -------------------------------------------------------------------------------------
    def get(self, context: str, path: str) -> dict[str, Any] | None:
        if context not in self.contexts():
            return None
        try:
            return self.request(context, "GET", path)
        except ApiError as error:
            if error.code == 404:
                return None
            raise

    def items(self, context: str, path: str, label_selector: str | None = None) -> list[dict[str, Any]]:
        query = [("labelSelector", label_selector)] if label_selector else []
        if context not in self.contexts():
            return []
        try:
            return list((self.request(context, "GET", path, query=query) or {}).get("items") or ())
        except ApiError as error:
            if error.code == 404:
                return []
            raise

    def request(self, context: str, method: str, path: str, *, body: Any = None,
                query: list[tuple[str, str]] | None = None,
                content_type: str = "application/json") -> dict[str, Any]:
        client = self._current().client(context)
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        method, url, headers, _, _ = client.param_serialize(
            method=method, resource_path=path, query_params=query or [], header_params=headers,
            auth_settings=["BearerToken"])
        response = client.call_api(method, url, header_params=headers,
                                   body=body,
                                   _request_timeout=REQUEST_TIMEOUT)
        data = response.read()
        decoded = orjson.loads(data) if data else {}
        if not 200 <= response.status < 300:
            message = decoded.get("message") if isinstance(decoded, dict) else None
            raise ApiError(response.status, message or str(response.reason))
        return decoded


def _kflex_hosting(doc: dict[str, Any]) -> str | None:
    """kflex >= 0.9 keeps the hosting context in the top-level `kubeflex` extension; older ones in
    `preferences.extensions[kflex-config-extension-name]`."""
    for entry in doc.get("extensions") or ():
        if isinstance(entry, dict) and entry.get("name") == "kubeflex":
            name = ((entry.get("extension") or {}).get("data") or {}).get("hosting-cluster-ctx-name")
            if name:
                return str(name)
    for entry in (doc.get("preferences") or {}).get("extensions") or ():
        if isinstance(entry, dict) and entry.get("name") == "kflex-config-extension-name":
            name = ((entry.get("extension") or {}).get("data") or {}).get("kflex-initial-ctx-name")
            if name:
                return str(name)
    return None
