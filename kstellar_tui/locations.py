"""Every path kstellar-tui reads or writes, in one place (printed by `kstellar-tui info`).

Follows the XDG base directory spec: `XDG_*_HOME` when set to an absolute path, else the
spec's defaults under the home directory. Environment variables override single paths so tests
and scripts stay hermetic. Read at call time, so a changed environment takes effect immediately.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "kstellar-tui"
CONFIG_ENV = "KSTELLAR_TUI_CONFIG"
SANDBOX_DIR_ENV = "KSTELLAR_SANDBOX_DIR"
CONFIG_FILE_NAME = "config.yaml"


def _xdg_home(variable: str, default: str) -> Path:
    """The spec ignores relative values: they are treated as unset."""
    value = os.environ.get(variable, "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / default


def _from_env(variable: str) -> Path | None:
    value = os.environ.get(variable, "")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    return _xdg_home("XDG_CONFIG_HOME", ".config") / APP_NAME


def state_dir() -> Path:
    return _xdg_home("XDG_STATE_HOME", ".local/state") / APP_NAME


def data_dir() -> Path:
    return _xdg_home("XDG_DATA_HOME", ".local/share") / APP_NAME


def cache_dir() -> Path:
    return _xdg_home("XDG_CACHE_HOME", ".cache") / APP_NAME


def config_file() -> Path:
    """`$KSTELLAR_TUI_CONFIG`, else `config.yaml` in the config dir."""
    return _from_env(CONFIG_ENV) or config_dir() / CONFIG_FILE_NAME


def user_themes_dir() -> Path:
    """Where users drop their own theme files, beside the config they edit."""
    return config_dir() / "themes"


def logs_dir() -> Path:
    """Logs are state in XDG terms: worth keeping, not worth backing up."""
    return state_dir() / "logs"


def drafts_dir() -> Path:
    """Editor content autosaved until applied or discarded."""
    return state_dir() / "drafts"


def sync_dir() -> Path:
    """What each `apply --watch` folder applied, so `--prune` knows what a removed file described."""
    return state_dir() / "sync"


def screenshots_dir() -> Path:
    return data_dir() / "screenshots"


def sandbox_dir() -> Path:
    """The default sandbox state dir: `$KSTELLAR_SANDBOX_DIR`, else `sandbox` in the state dir."""
    return _from_env(SANDBOX_DIR_ENV) or state_dir() / "sandbox"


def sandbox_kubeconfig(sandbox: Path | None = None) -> Path:
    return (sandbox or sandbox_dir()) / "kubeconfig"


def kubeconfig_files() -> list[Path]:
    """The kubeconfig files kubectl would read: `$KUBECONFIG` (path list), else `~/.kube/config`."""
    value = os.environ.get("KUBECONFIG", "")
    paths = [Path(p).expanduser() for p in value.split(os.pathsep) if p]
    return paths or [Path.home() / ".kube" / "config"]


def paths_in_use() -> dict[str, list[Path]]:
    """Labelled paths for `kstellar-tui info`, in display order."""
    return {
        "config file": [config_file()],
        "themes (user)": [user_themes_dir()],
        "data": [data_dir()],
        "cache": [cache_dir()],
        "state": [state_dir()],
        "logs": [logs_dir()],
        "drafts": [drafts_dir()],
        "folder sync records": [sync_dir()],
        "screenshots": [screenshots_dir()],
        "sandbox state": [sandbox_dir()],
        "sandbox kubeconfig": [sandbox_kubeconfig()],
        "kubeconfig": kubeconfig_files(),
    }
