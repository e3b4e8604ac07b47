"""YAML read with libyaml's safe loader where it is installed (several times faster than the pure
Python one: the sandbox reads kubeconfigs at every cluster it adds, the app its theme at start),
and the pure safe loader where it is not. Never a loader that builds arbitrary objects."""

from __future__ import annotations

from typing import Any

import yaml

safe_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load_fast(text: str) -> Any:
    return yaml.load(text, Loader=safe_loader)
