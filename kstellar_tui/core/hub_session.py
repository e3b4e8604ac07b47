"""The hub that the Step 3 screens (workloads, BindingPolicy builder) read and write.

One session is shared by both screens: it resolves the kubeconfig once (on the sandbox that may
start it), keeps one `Applier`, reads snapshots of the hub (facts, inventory, which WECs each
object is bound to), and carries the workload editor's documents that are not applied yet, so
that the policy builder previews and applies them together with the policy (journey 1 step 4).
Every method that talks to the hub blocks: the screens call them from thread workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from kstellar_tui.core.apply import Applier
from kstellar_tui.core.drafts import Drafts
from kstellar_tui.core.fleet.hubfacts import HubFacts, read_hub_facts
from kstellar_tui.core.fleet.lint import PREEXISTING_NAMESPACES
from kstellar_tui.core.fleet.placement import ObjectRef
from kstellar_tui.core.fleet.preview import Inventory, preview, read_inventory
from kstellar_tui.core.kube.kubeconfig import KubeConfig
from kstellar_tui.core.manifests import Document, Template, crd_instance_template, load_text
from kstellar_tui.core.object_actions import ObjectActions, Target

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
# Groups whose CRDs belong to the platform, not to the user's workloads.
PLATFORM_GROUPS = ("kubestellar.io", "open-cluster-management.io", "kubeflex.io")
# What every namespace gets from the API server itself.
_AUTOMATIC = {("", "configmaps", "kube-root-ca.crt"), ("", "serviceaccounts", "default")}

Identity = tuple[str, str, str, str]  # group, resource, namespace, name


def identity(ref: ObjectRef) -> Identity:
    return ref.group, ref.resource, ref.namespace, ref.name


def is_system(ref: ObjectRef) -> bool:
    """Objects every WDS has (the kube-* namespaces and what they hold, the platform's CRDs)."""
    if ref.namespace in PREEXISTING_NAMESPACES - {"default"} or (ref.group, ref.resource, ref.name) in _AUTOMATIC:
        return True
    if ref.resource == "namespaces":
        return ref.name in PREEXISTING_NAMESPACES
    if ref.resource == "customresourcedefinitions":
        return ref.name.endswith(PLATFORM_GROUPS)
    return False


def api_version(ref: ObjectRef) -> str:
    return f"{ref.group}/{ref.version}" if ref.group else ref.version


def target(ref: ObjectRef) -> Target:
    return Target(api_version(ref), ref.kind, ref.namespace, ref.name)


@dataclass(frozen=True)
class HubSnapshot:
    """The hub at one moment: facts (cluster labels, policies, kinds) and the WDS inventory."""

    facts: HubFacts
    inventory: Inventory
    bound: Mapping[Identity, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, facts: HubFacts, inventory: Inventory) -> HubSnapshot:
        return cls(facts, inventory, bound_clusters(facts.policies.values(), inventory))

    @property
    def workloads(self) -> list[ObjectRef]:
        """The user's objects in the WDS, in preview order (namespaces first)."""
        return sorted((ref for ref, _ in self.inventory.objects if not is_system(ref)),
                      key=lambda r: (r.resource != "namespaces", r.kind, r.namespace, r.name))

    @property
    def crds(self) -> list[str]:
        """The names of the user's CRDs (a template can make an instance of each)."""
        return [ref.name for ref in self.workloads if ref.resource == "customresourcedefinitions"]


def bound_clusters(policies: Iterable[Mapping], inventory: Inventory) -> dict[Identity, frozenset[str]]:
    """For each object some policy selects, the clusters it is bound to (as the binding controller does)."""
    bound: dict[Identity, set[str]] = {}
    for policy in policies:
        result = preview(policy, inventory)
        for match in result.objects:
            bound.setdefault(identity(match.ref), set()).update(result.clusters)
    return {key: frozenset(clusters) for key, clusters in bound.items()}


@dataclass
class Pending:
    """The workload editor's text while it is not applied; `documents` parsed from it."""

    text: str = ""
    documents: list[Document] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> Pending:
        return cls(text, load_text(text, "editor") if text.strip() else [])


class HubSession:
    """`kubeconfig` is a path, None (kubectl's default files), or a callable that finds the path
    when first needed (it may start the sandbox); `read_only` refuses every write."""

    def __init__(self, kubeconfig: str | Callable[[], str | None] | None, *, wds: str = "wds1", its: str = "its1",
                 read_only: bool = False, drafts: Drafts | None = None):
        self._kubeconfig_source = kubeconfig
        self.wds, self.its = wds, its
        self.read_only = read_only
        self.drafts = drafts or Drafts()
        self.pending = Pending()
        self.applied_text: str | None = None
        """The editor text the policy builder applied along with a policy (the editor then drops its draft)."""
        self._lock = threading.Lock()
        self._config: KubeConfig | None = None
        self._actions: ObjectActions | None = None

    def kubeconfig(self) -> KubeConfig:
        with self._lock:
            if self._config is None:
                source = self._kubeconfig_source
                self._config = KubeConfig.load(source() if callable(source) else source)
            return self._config

    def actions(self) -> ObjectActions:
        """Read an object's editable YAML, delete, redeploy (with the Applier's checks and read-only rule)."""
        config = self.kubeconfig()
        with self._lock:
            if self._actions is None:
                self._actions = ObjectActions(config, wds=self.wds, its=self.its, read_only=self.read_only,
                                              wec_context=lambda _: None)
            return self._actions

    @property
    def applier(self) -> Applier:
        return self.actions().applier

    def snapshot(self) -> HubSnapshot:
        """Raises HubReadError (or a transport error) when the hub cannot be read."""
        facts = read_hub_facts(self.kubeconfig(), wds=self.wds, its=self.its)
        return HubSnapshot.of(facts, read_inventory(facts))

    def crd_template(self, name: str) -> Template:
        return crd_instance_template(self.applier.rest.get(f"{CRDS}/{name}"))
