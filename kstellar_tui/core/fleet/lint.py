"""Lint manifests before they reach the WDS: above all the failures upstream keeps silent.

A BindingPolicy name of 64+ characters, a namespace that never reaches the WEC, a ManifestWork
over 512000 bytes: the API server accepts all of them and nothing arrives anywhere (reference
§6.2 #9). Matching uses `core.fleet.placement`, the code the sandbox controller and the monitor
use, so lint can never disagree with what the binding controller does.

Offline (no `HubFacts`) the rules that need cluster data are skipped or downgraded, with a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson

from kstellar_tui.core.fleet.hubfacts import HubFacts
from kstellar_tui.core.fleet.placement import (
    MAX_POLICY_NAME, ObjectRef, PolicyProblem, is_excluded, match_object, object_ref, select_clusters,
    validate_policy,
)
from kstellar_tui.core.fleet.selectors import SelectorError, validate_label_key, validate_label_value
from kstellar_tui.core.fleet.transform import transform_object
from kstellar_tui.core.kube.discovery import (
    BUILTIN, ApiResource, KindResolver, Layered, StaticKinds, UnknownKind, crd_resources,
)
from kstellar_tui.core.manifests import Document, Source, check

ERROR, WARNING = "error", "warning"
MAX_WRAPPED_BYTES = 512000  # the core chart's transport `max_size_wrapped`
KS_GROUP = "control.kubestellar.io"
POLICY_API_VERSION = f"{KS_GROUP}/v1alpha1"
# Namespaces every cluster has, so objects in them need no propagated Namespace.
PREEXISTING_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

RULES: dict[str, str] = {
    "yaml": "the document cannot be parsed",
    "schema": "apiVersion, kind, metadata.name, DNS names, namespace vs scope",
    "unknown-kind": "the WDS serves no such kind (or the CRD for it is missing)",
    "never-propagated": "KubeStellar never propagates this kind of object",
    "invalid-label": "a label key or value the API server rejects",
    "object-too-large": f"over {MAX_WRAPPED_BYTES} bytes once wrapped in a ManifestWork: it never reaches a WEC",
    "policy-name-too-long": f"a BindingPolicy name over {MAX_POLICY_NAME} characters: nothing reaches any WEC",
    "empty-cluster-selectors": "a BindingPolicy without clusterSelectors selects no cluster",
    "clause-without-test": "a downsync clause without any test field (upstream rejects it)",
    "invalid-selector": "a label selector that cannot be parsed or has invalid keys/values/operators",
    "clause-names": "resources/namespaces/objectNames lists that never match what they seem to",
    "namespace-not-delivered": "a namespaced object whose namespace does not reach (or exist on) the WEC",
    "singleton-cluster-count": "wantSingletonReportedState with a selected cluster count other than 1",
}


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str
    rule: str
    source: Source | None
    subject: str  # the object, e.g. "Deployment nginx/nginx-deployment"
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.severity}[{self.rule}] {self.subject}: {self.message}\n    fix: {self.fix}"

    def to_dict(self) -> dict:
        return {"severity": self.severity, "rule": self.rule,
                "file": self.source.path if self.source else None,
                "line": self.source.line if self.source else None,
                "document": self.source.index if self.source else None,
                "subject": self.subject, "message": self.message, "fix": self.fix}


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_for(self, doc: Document) -> list[Finding]:
        return [f for f in self.errors if f.source == doc.source and f.subject == doc.title]

    def summary(self) -> str:
        e, w = len(self.errors), len(self.warnings)
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"

    def to_dict(self) -> dict:
        return {"findings": [f.to_dict() for f in self.findings], "notes": self.notes,
                "errors": len(self.errors), "warnings": len(self.warnings)}


def is_policy(doc: Document) -> bool:
    return doc.api_version == POLICY_API_VERSION and doc.kind == "BindingPolicy"


def batch_kinds(documents: Iterable[Document]) -> StaticKinds:
    """The kinds the CRDs among these documents define (served as soon as the CRD is applied)."""
    return StaticKinds(r for d in documents
                       if d.obj and d.kind == "CustomResourceDefinition" and d.api_version.startswith("apiextensions")
                       for r in crd_resources(d.obj))


def lint(documents: Sequence[Document], facts: HubFacts | None = None, *,
         default_namespace: str = "default") -> LintReport:
    """Every finding for these documents; `facts` (a live hub) enables the cluster-data rules."""
    return _Linter(documents, facts, default_namespace).run()


class _Linter:
    def __init__(self, documents: Sequence[Document], facts: HubFacts | None, default_namespace: str):
        self.documents = documents
        self.facts = facts
        self.default_namespace = default_namespace
        self.kinds: KindResolver = Layered(batch_kinds(documents), facts.kinds if facts else BUILTIN)
        self.report = LintReport()
        self.policies: dict[str, Mapping] = dict(facts.policies) if facts else {}
        self.namespaces: dict[str, Mapping] = dict(facts.namespaces) if facts else {}
        for doc in documents:
            if doc.obj is not None and is_policy(doc) and doc.name:
                self.policies[doc.name] = doc.obj
            if doc.obj is not None and doc.api_version == "v1" and doc.kind == "Namespace" and doc.name:
                self.namespaces[doc.name] = doc.labels
        self._clusters_of: dict[str, list[str] | None] = {}
        self._offline_kinds: set[str] = set()
        self._offline_singleton = False

    def add(self, severity: str, rule: str, doc: Document, message: str, fix: str) -> None:
        self.report.findings.append(Finding(severity, rule, doc.source, doc.title, message, fix))

    def run(self) -> LintReport:
        for doc in self.documents:
            self.document(doc)
        if self.facts is None:
            self.report.notes.append(
                "no cluster data: namespace checks only look at the policies in these files, "
                "singleton cluster counts were not checked")
        if self._offline_kinds:
            self.report.notes.append(
                "no cluster data: kinds outside the builtin table were not checked: "
                + ", ".join(sorted(self._offline_kinds)))
        return self.report

    # -- one document ------------------------------------------------------------------------
    def document(self, doc: Document) -> None:
        if doc.obj is None:
            self.add(ERROR, "yaml", doc, doc.error or "unreadable", "fix the syntax at this line")
            return
        problems = check(doc, self.kinds)
        for p in problems:
            self.add(ERROR, "schema", doc, f"{p.field}: {p.message}" if p.field else p.message, p.fix)
        if problems:
            return
        self.labels(doc)
        resource = self.kind(doc)
        if is_policy(doc):
            self.policy(doc)
        if resource is None:
            return
        if resource.group == KS_GROUP:
            return  # KubeStellar's own configuration lives in the WDS and is never propagated
        if is_excluded(resource.group, resource.plural):
            what = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
            self.add(WARNING, "never-propagated", doc,
                     f"KubeStellar never propagates {what}, whatever the BindingPolicies say",
                     "create it on the WECs directly, or drop it from these manifests")
            return
        self.size(doc)
        if resource.namespaced:
            self.namespace(doc, resource)

    def labels(self, doc: Document) -> None:
        raw = doc.metadata.get("labels")
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            self.add(ERROR, "invalid-label", doc, "metadata.labels must be a map of strings",
                     "write labels as key: value pairs")
            return
        for key, value in raw.items():
            if not isinstance(value, str):
                self.add(ERROR, "invalid-label", doc, f"label {key}: the value must be a string, not {value!r}",
                         f'quote it: {key}: "{value}"')
                continue
            if message := validate_label_key(str(key)):
                self.add(ERROR, "invalid-label", doc, f'label key "{key}": {message}', "use a valid label key")
            if message := validate_label_value(value):
                self.add(ERROR, "invalid-label", doc, f'label {key}="{value}": {message}',
                         "use at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric")

    def kind(self, doc: Document) -> ApiResource | None:
        found = self.kinds.find(doc.api_version, doc.kind)
        if found is not None:
            return found
        if self.facts is None:
            self._offline_kinds.add(f"{doc.kind} ({doc.api_version})")
            return None
        try:
            return self.kinds.resolve(doc.api_version, doc.kind)
        except UnknownKind as exc:
            group = doc.api_version.rpartition("/")[0]
            fix = (f"install the CustomResourceDefinition that defines {doc.kind} in the WDS first, "
                   "or add it to these manifests" if group and "." in group
                   else "check apiVersion and kind (kubectl api-resources lists what the WDS serves)")
            self.add(ERROR, "unknown-kind", doc, f"the WDS does not serve {doc.kind}: {exc}", fix)
            return None

    def size(self, doc: Document) -> None:
        size = len(orjson.dumps(transform_object(doc.obj)))
        if size > MAX_WRAPPED_BYTES:
            self.add(ERROR, "object-too-large", doc,
                     f"is {size} bytes once wrapped; the transport controller refuses objects over "
                     f"{MAX_WRAPPED_BYTES} bytes, so it never reaches a WEC and only the controller log says so",
                     "split the data across several objects (e.g. several ConfigMaps)")

    # -- BindingPolicies ---------------------------------------------------------------------
    def policy(self, doc: Document) -> None:
        for problem in validate_policy(doc.obj):
            severity, rule, fix = _classify(problem, doc.obj)
            self.add(severity, rule, doc, str(problem), fix)
        self.singleton(doc)

    def clusters_of(self, name: str) -> list[str] | None:
        """The clusters a policy selects, None without cluster data or with invalid clusterSelectors."""
        if self.facts is None:
            return None
        if name not in self._clusters_of:
            try:
                self._clusters_of[name] = select_clusters(self.policies[name], self.facts.clusters)
            except SelectorError:
                self._clusters_of[name] = None
        return self._clusters_of[name]

    def singleton(self, doc: Document) -> None:
        spec = doc.obj.get("spec")
        clauses = spec.get("downsync") if isinstance(spec, Mapping) else None
        if not isinstance(clauses, list) or not any(
                isinstance(c, Mapping) and c.get("wantSingletonReportedState") for c in clauses):
            return
        clusters = self.clusters_of(doc.name)
        if clusters is None or len(clusters) == 1:
            return
        shown = ", ".join(clusters) or "none"
        self.add(WARNING, "singleton-cluster-count", doc,
                 f"wantSingletonReportedState needs exactly 1 selected cluster, but it selects {len(clusters)} "
                 f"({shown}): no status comes back and the policy's status.errors reports the wrong WEC count",
                 "narrow clusterSelectors to one cluster (e.g. matchLabels: {name: cluster1}) "
                 "or use wantMultiWECReportedState")

    # -- namespaces on the WECs --------------------------------------------------------------
    def namespace(self, doc: Document, resource: ApiResource) -> None:
        namespace = doc.namespace or self.default_namespace
        if namespace in PREEXISTING_NAMESPACES:
            return
        ref = object_ref({**doc.obj, "metadata": {**doc.metadata, "namespace": namespace}}, resource.plural)
        ns_labels = self.namespaces.get(namespace)
        selecting = [name for name, policy in self.policies.items()
                     if match_object(policy, ref, doc.labels, ns_labels) is not None]
        if not selecting:
            return
        ns_ref = ObjectRef("", "v1", "namespaces", "Namespace", "", namespace)
        delivering = [] if ns_labels is None else [
            name for name, policy in self.policies.items() if match_object(policy, ns_ref, ns_labels, None) is not None]
        missing: dict[str, list[str]] = {}  # cluster -> policies that send the object there
        unreadable: set[str] = set()
        offline: list[str] = []
        for name in selecting:
            if name in delivering:
                continue
            if self.facts is None:
                if not delivering:
                    offline.append(name)
                continue
            delivered_to = {c for d in delivering for c in self.clusters_of(d) or ()}
            for cluster in self.clusters_of(name) or ():
                if cluster in delivered_to:
                    continue
                present = self.facts.wec_namespaces(cluster)
                if present is None:
                    unreadable.add(cluster)
                elif namespace not in present:
                    missing.setdefault(cluster, []).append(name)
        fix = (f'let the policy select Namespace "{namespace}" too: give the Namespace the labels the policy selects '
               f"(as Getting Started labels Namespace nginx), or create {namespace} on the WECs first")
        if missing:
            where = "; ".join(f"{c} (via {', '.join(ps)})" for c, ps in sorted(missing.items()))
            self.add(ERROR, "namespace-not-delivered", doc,
                     f'Namespace "{namespace}" is not propagated and does not exist on {where}: OCM fails to apply '
                     "the object there (namespace not found) and nothing in the WDS says so", fix)
        if unreadable:
            self.add(WARNING, "namespace-not-delivered", doc,
                     f'Namespace "{namespace}" is not propagated to {", ".join(sorted(unreadable))}, and their '
                     "namespaces could not be read: the object arrives only if the namespace already exists there",
                     fix)
        if offline:
            self.add(WARNING, "namespace-not-delivered", doc,
                     f'selected by {", ".join(offline)}, but no policy selects Namespace "{namespace}": the object '
                     "arrives only on WECs where the namespace already exists", fix)


_DOWNSYNC_CLAUSE = re.compile(r"^spec\.downsync\[\d+\]$")


def _classify(problem: PolicyProblem, policy: Mapping) -> tuple[str, str, str]:
    """Severity, rule and fix for a `validate_policy` problem, by the field it concerns."""
    path = problem.field
    if path == "metadata.name":
        return ERROR, "policy-name-too-long", f"use a name of at most {MAX_POLICY_NAME} characters"
    if path == "spec.clusterSelectors" and not (policy.get("spec") or {}).get("clusterSelectors"):
        return WARNING, "empty-cluster-selectors", "add a clusterSelector, e.g. matchLabels: {location-group: edge}"
    if "Selectors" in path:
        return ERROR, "invalid-selector", "fix the selector: operators In, NotIn, Exists, DoesNotExist; valid labels"
    if _DOWNSYNC_CLAUSE.match(path) and "at least one" in problem.message:
        return ERROR, "clause-without-test", "add a test such as objectSelectors or resources to the clause"
    if path.startswith("spec.downsync") and path.split(".")[-1].split("[")[0] in ("resources", "namespaces",
                                                                                 "objectNames"):
        return WARNING, "clause-names", "list lowercase plural resource names; use \"*\" alone"
    return ERROR, "schema", "fix the BindingPolicy spec"
