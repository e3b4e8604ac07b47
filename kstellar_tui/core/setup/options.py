"""What the user chooses for a setup: platform, KubeStellar version, space names, WECs, labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kstellar_tui.core.fleet.selectors import validate_label_key, validate_label_value
from kstellar_tui.core.setup.prereqs import PLATFORMS

KUBESTELLAR_VERSION = "0.30.0"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class OptionsError(ValueError):
    """A choice that cannot work, worded for the user."""


def default_labels(name: str) -> tuple[tuple[str, str], ...]:
    """Getting Started's labels: `location-group=edge name=<cluster>`."""
    return (("location-group", "edge"), ("name", name))


@dataclass(frozen=True)
class WecSpec:
    """A WEC to register: created with the platform (context = name after the rename), or an
    existing kubeconfig context adopted as is."""

    name: str
    context: str | None = None
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def adopted(self) -> bool:
        return self.context is not None

    @property
    def kube_context(self) -> str:
        return self.context or self.name

    @property
    def effective_labels(self) -> tuple[tuple[str, str], ...]:
        return self.labels or default_labels(self.name)


@dataclass(frozen=True)
class SetupOptions:
    platform: str = "kind"
    version: str = KUBESTELLAR_VERSION
    its: str = "its1"
    wds: tuple[str, ...] = ("wds1",)
    wecs: tuple[WecSpec, ...] = field(default_factory=lambda: (WecSpec("cluster1"), WecSpec("cluster2")))
    hosting_name: str = "kubeflex"
    port: int = 9443
    join_flags: tuple[str, ...] = ("--force-internal-endpoint-lookup",)
    """Getting Started's `flags`; empty on OpenShift."""

    @property
    def hosting_context(self) -> str:
        return f"{self.platform}-{self.hosting_name}"

    def validate(self) -> SetupOptions:
        if self.platform not in PLATFORMS:
            raise OptionsError(f"platform must be one of {', '.join(PLATFORMS)}, not {self.platform!r}")
        names = [self.its, *self.wds]
        for name in names:
            _check_name(name, "space")
        if len(set(names)) != len(names):
            raise OptionsError("ITS and WDS names must be unique across all spaces")
        wec_names = [w.name for w in self.wecs]
        for name in wec_names:
            _check_name(name, "WEC")
        if len(set(wec_names)) != len(wec_names):
            raise OptionsError("WEC names must be unique")
        clashes = sorted(set(wec_names) & {*names, self.hosting_context})
        if clashes:
            raise OptionsError(f"WEC names clash with the hosting cluster or a space: {', '.join(clashes)}")
        if not 1 <= self.port <= 65535:
            raise OptionsError(f"port must be 1..65535, not {self.port}")
        return self


def _check_name(name: str, what: str) -> None:
    if not _DNS_LABEL.fullmatch(name):  # match() lets a trailing newline through
        raise OptionsError(f"{what} name {name!r} must be a DNS label: lower-case letters, digits and '-', "
                           "starting and ending with a letter or digit, at most 63 characters")


def parse_labels(text: str) -> tuple[tuple[str, str], ...]:
    """`a=b,c=d` (or space separated) into label pairs; keys and values as Kubernetes allows."""
    pairs = []
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise OptionsError(f"label {item!r} must look like key=value")
        problem = validate_label_key(key) or validate_label_value(value)
        if problem:
            raise OptionsError(f"label {item!r}: {problem}")
        pairs.append((key, value))
    return tuple(pairs)
