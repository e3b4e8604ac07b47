"""A setup step as data: what it is for, the exact command a person would type, how to tell it
is already done, what to wait for afterwards, what to say when it fails, and what it means for
the sandbox. Both runners and the script renderer read the same objects."""

from __future__ import annotations

import enum
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class Probe(Protocol):
    """The reads checks and waits may do: Kubernetes API GETs, kubeconfig contexts, and the one CLI
    read upstream offers no API for (`kind get clusters` / `k3d cluster list`)."""

    def get(self, context: str, path: str) -> dict[str, Any] | None:
        """The object at `path`, None when it does not exist (404) or the context is unknown."""

    def items(self, context: str, path: str, label_selector: str | None = None) -> list[dict[str, Any]]:
        """The items of a collection; [] when the resource or context does not exist."""

    def contexts(self) -> frozenset[str]:
        """Context names in the kubeconfig the commands write."""

    def kflex_hosting_context(self) -> str | None:
        """The hosting context `kflex ctx --set-current-for-hosting` recorded, if any."""

    def platform_clusters(self) -> frozenset[str]:
        """Names `kind get clusters` (or `k3d cluster list`) prints."""


@dataclass(frozen=True)
class Var:
    """A value known only at run time (captured from an earlier step's output, or read just before
    the command runs); shown as `$NAME`. A `many` variable stands for zero or more arguments."""

    name: str
    secret: bool = False
    many: bool = False

    def __str__(self) -> str:
        return f"${self.name}"


Arg = str | Var


@dataclass(frozen=True)
class Check:
    """A yes/no question about the world, with the sentence that explains it to the user."""

    description: str
    test: Callable[[Probe], bool]


@dataclass(frozen=True)
class Capture:
    """A run-time variable taken from the `clusteradm join ...` line a command prints."""

    var: Var
    flag: str


@dataclass(frozen=True)
class Retry:
    """Re-run a failed command whose output shows a known transient race (e.g. accept before the
    ManagedCluster exists), up to `attempts` times, pausing between tries."""

    patterns: tuple[str, ...]
    attempts: int = 30

    def matches(self, output: str) -> bool:
        return any(re.search(p, output) for p in self.patterns)


@dataclass(frozen=True)
class Wait:
    """Poll `condition` until true or `timeout` seconds pass."""

    condition: Check
    timeout: float


class Kind(enum.Enum):
    RUN = "run"            # run the command (then wait, if the step has a wait)
    WAIT = "wait"          # the command is how a person would wait; runners poll the condition instead
    CAPTURE = "capture"    # run the command for its output only; the output carries secrets


class ScriptForm(enum.Enum):
    """How the bash rendering uses a WAIT step's command."""

    RUN = "run"            # the command waits by itself (`kubectl wait`, `rollout status`)
    UNTIL = "until"        # repeat the command until it prints something


# ------------------------------------------------------------------ what a step means to the sandbox
@dataclass(frozen=True)
class CreateCluster:
    context: str           # the context name the cluster ends up with (after any rename)


@dataclass(frozen=True)
class InstallCore:
    its: tuple[str, ...]
    wds: tuple[str, ...]


@dataclass(frozen=True)
class GetToken:
    its: str


@dataclass(frozen=True)
class Join:
    context: str
    its: str
    cluster_name: str


@dataclass(frozen=True)
class Accept:
    its: str
    cluster: str


@dataclass(frozen=True)
class DeleteCsrs:
    its: str


@dataclass(frozen=True)
class Label:
    its: str
    cluster: str
    labels: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SandboxMakesIt:
    """The sandbox does this by itself (KubeFlex writes the contexts): nothing to run, then wait."""

    reason: str


@dataclass(frozen=True)
class HostOnly:
    """Meaningless in the sandbox (ingress, kubeconfig bookkeeping): skipped there, with why."""

    reason: str


@dataclass(frozen=True)
class Poll:
    """A wait step: the same API reads in both modes."""


Op = CreateCluster | InstallCore | GetToken | Join | Accept | DeleteCsrs | Label | SandboxMakesIt | HostOnly | Poll


@dataclass(frozen=True)
class Step:
    id: str
    phase: str             # "core" (Step 1) or "wecs" (Step 2)
    title: str
    argv: tuple[Arg, ...]
    op: Op
    kind: Kind = Kind.RUN
    mutates: bool = True
    done: Check | None = None
    wait: Wait | None = None
    stdin: str | None = None
    hint: str = ""
    hints: tuple[tuple[str, str], ...] = ()
    """(regex on the output, hint) pairs tried before the default `hint`."""
    retry: Retry | None = None
    captures: tuple[Capture, ...] = ()
    note: str = ""
    """A warning shown with the step before it runs."""
    script_form: ScriptForm = ScriptForm.RUN
    cluster: str | None = None
    """The WEC a Step 2 step is about (the TUI groups by it)."""
    derive: Callable[[Probe], dict[str, tuple[str, ...]]] | None = None
    """Values of `many` variables read just before the command runs (e.g. the stale CSRs' names)."""
    bash: str | None = None
    """The bash for the script when the command depends on such run-time reads."""

    @property
    def command(self) -> str:
        """The command as shown and copied: run-time values appear as `$NAME`."""
        return display(self.argv)

    def hint_for(self, output: str) -> str:
        return next((hint for pattern, hint in self.hints if re.search(pattern, output)), self.hint)


def display(argv: tuple[Arg, ...]) -> str:
    return " ".join(str(a) if isinstance(a, Var) else shlex.quote(a) for a in argv)


def resolve(argv: tuple[Arg, ...], values: Mapping[str, str | tuple[str, ...]]) -> list[str]:
    """The argv to execute (a `many` variable spliced in); KeyError names the first unknown variable."""
    resolved: list[str] = []
    for arg in argv:
        value = values[arg.name] if isinstance(arg, Var) else arg
        resolved.extend(value if isinstance(value, tuple) else (value,))
    return resolved


def parse_captures(captures: tuple[Capture, ...], output: str) -> dict[str, str]:
    """Values of the captured flags from the `clusteradm join ...` line of `clusteradm get token`."""
    line = next((ln.split() for ln in output.splitlines() if ln.strip().startswith("clusteradm join")), None)
    if line is None:
        return {}
    found = {}
    for capture in captures:
        if capture.flag in line[:-1]:
            found[capture.var.name] = line[line.index(capture.flag) + 1]
    return found
