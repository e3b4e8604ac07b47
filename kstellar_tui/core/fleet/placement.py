"""BindingPolicy matching exactly as KubeStellar's binding controller does it, and why-not explanations.

Upstream sources: `pkg/binding/selectors.go` (testObject), `pkg/ocm/ocm.go` (FindClustersBySelectors),
`pkg/binding/bindingpolicy-resolution.go` (toBindingSpec), `pkg/binding/binding-controller.go`
(exclusions). The sandbox's binding controller, the live monitor, lint and the policy preview all use
this module, so a preview can never disagree with what the controller writes.

Policies are JSON dicts. On hot paths call `compile_policy` once per policy version and pass the
result; every function also accepts the plain dict (and then compiles it on each call).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kstellar_tui.core.fleet.selectors import Selector, SelectorError, selector_from_dict

Labels = Mapping[str, str]

# API groups the binding controller never watches, and group/resources it skips.
NEVER_WATCHED_GROUPS = frozenset({
    "flowcontrol.apiserver.k8s.io", "discovery.k8s.io", "apiregistration.k8s.io",
    "coordination.k8s.io", "control.kubestellar.io",
})
EXCLUDED_GROUP_RESOURCES = frozenset({
    ("", "events"), ("events.k8s.io", "events"), ("", "nodes"), ("", "endpoints"),
    ("storage.k8s.io", "csistoragecapacities"), ("storage.k8s.io", "csinodes"),
    ("control.kubestellar.io", "workstatuses"),
})
# A WDS's `APIGroups` setting always keeps these watched.
ALWAYS_ALLOWED_GROUPS = frozenset({"control.kubestellar.io", "apiextensions.k8s.io"})

TEST_FIELDS = ("apiGroup", "resources", "namespaces", "namespaceSelectors", "objectSelectors", "objectNames")

MAX_POLICY_NAME = 63  # the name becomes a ManifestWork label value


def allowed_api_groups(text: str) -> frozenset[str] | None:
    """A WDS's comma-separated `APIGroups` value as the controller reads it; None (empty) allows all."""
    return frozenset(text.split(",")) | ALWAYS_ALLOWED_GROUPS if text else None


def is_excluded(group: str, resource: str, allowed_groups: frozenset[str] | None = None) -> bool:
    """True for objects KubeStellar never propagates, whatever the policies say."""
    return (group in NEVER_WATCHED_GROUPS or (group, resource) in EXCLUDED_GROUP_RESOURCES
            or (allowed_groups is not None and group not in allowed_groups))


# ---------------------------------------------------------------------------------------------
# Inputs and results


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Which workload object is being tested; `namespace` is "" for cluster-scoped objects."""

    group: str
    version: str
    resource: str
    kind: str
    namespace: str
    name: str


def object_ref(obj: Mapping, resource: str) -> ObjectRef:
    """The ref of an object dict served as `resource` (its lowercase plural)."""
    group, _, version = str(obj.get("apiVersion") or "").rpartition("/")
    meta = obj.get("metadata") or {}
    return ObjectRef(group, version, resource, str(obj.get("kind") or ""),
                     meta.get("namespace") or "", meta.get("name") or "")


def object_labels(obj: Mapping) -> Labels:
    return (obj.get("metadata") or {}).get("labels") or {}


@dataclass(frozen=True, slots=True)
class Modulation:
    """How a selected object is downsynced; several matching clauses OR the flags and union collectors."""

    create_only: bool = False
    status_collectors: tuple[str, ...] = ()  # sorted, no duplicates
    want_singleton_reported_state: bool = False
    want_multiwec_reported_state: bool = False

    def merged(self, other: Modulation) -> Modulation:
        return Modulation(
            self.create_only or other.create_only,
            tuple(sorted(set(self.status_collectors) | set(other.status_collectors))),
            self.want_singleton_reported_state or other.want_singleton_reported_state,
            self.want_multiwec_reported_state or other.want_multiwec_reported_state,
        )

    def binding_fields(self) -> dict:
        """The modulation fields of a Binding entry; upstream omits false and empty ones."""
        fields: dict = {}
        if self.create_only:
            fields["createOnly"] = True
        if self.status_collectors:
            fields["statusCollectors"] = list(self.status_collectors)
        if self.want_singleton_reported_state:
            fields["wantSingletonReportedState"] = True
        if self.want_multiwec_reported_state:
            fields["wantMultiWECReportedState"] = True
        return fields


# ---------------------------------------------------------------------------------------------
# Compilation


@dataclass(frozen=True, slots=True)
class _SelectorList:
    """A list of LabelSelectors where any one must match; invalid entries never match (upstream skips them)."""

    raw: tuple
    compiled: tuple[Selector | None, ...]
    errors: tuple[str | None, ...]
    has_empty: bool  # some entry is `{}`: upstream's ALabelSelectorIsEmpty

    def matches_any(self, labels: Labels | None) -> bool:
        return any(s is not None and s.matches(labels) for s in self.compiled)

    def describe(self) -> str:
        shown = (f"<invalid: {e}>" if e else str(s) or "{}" for s, e in zip(self.compiled, self.errors))
        return "[" + "; ".join(shown) + "]"


def _selector_list(raw: object) -> _SelectorList:
    raw = tuple(_list(raw))
    compiled, errors = [], []
    for sel in raw:
        try:
            compiled.append(selector_from_dict(sel))
            errors.append(None)
        except SelectorError as exc:
            compiled.append(None)
            errors.append(str(exc))
    has_empty = any(s is not None and s.matches_everything for s in compiled)
    return _SelectorList(raw, tuple(compiled), tuple(errors), has_empty)


def _any_of(values: object) -> frozenset[str] | None:
    """A name list where empty or "*" accepts everything (None); one that is not a list of strings
    (which the API server would refuse) accepts nothing."""
    if not values:
        return None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return frozenset()
    return None if "*" in values else frozenset(values)


def _mapping(value: object) -> Mapping:
    """The value if it is an object, else empty: what a malformed (hand-written) policy contributes."""
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class _Clause:
    index: int
    api_group: str | None
    resources: frozenset[str] | None
    namespaces: frozenset[str] | None
    object_names: frozenset[str] | None
    object_selectors: _SelectorList | None
    namespace_selectors: _SelectorList | None  # None also when some entry is `{}`
    modulation: Modulation
    raw: Mapping


def _clause(index: int, raw: Mapping) -> _Clause:
    obj_sels = _selector_list(raw.get("objectSelectors"))
    ns_sels = _selector_list(raw.get("namespaceSelectors"))
    return _Clause(
        index=index,
        api_group=raw.get("apiGroup"),
        resources=_any_of(raw.get("resources")),
        namespaces=_any_of(raw.get("namespaces")),
        object_names=_any_of(raw.get("objectNames")),
        object_selectors=obj_sels if obj_sels.raw else None,
        namespace_selectors=ns_sels if ns_sels.raw and not ns_sels.has_empty else None,
        modulation=Modulation(
            bool(raw.get("createOnly")),
            tuple(sorted({c for c in _list(raw.get("statusCollectors")) if isinstance(c, str)})),
            bool(raw.get("wantSingletonReportedState")),
            bool(raw.get("wantMultiWECReportedState")),
        ),
        raw=raw,
    )


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A BindingPolicy with its selectors parsed once."""

    name: str
    cluster_selectors: _SelectorList
    clauses: tuple[_Clause, ...]


def compile_policy(policy: Mapping | CompiledPolicy) -> CompiledPolicy:
    if isinstance(policy, CompiledPolicy):
        return policy
    spec = _mapping(policy.get("spec"))
    return CompiledPolicy(
        name=str(_mapping(policy.get("metadata")).get("name") or ""),
        cluster_selectors=_selector_list(spec.get("clusterSelectors")),
        clauses=tuple(_clause(i, c) for i, c in enumerate(_list(spec.get("downsync"))) if isinstance(c, Mapping)),
    )


# ---------------------------------------------------------------------------------------------
# Clusters


def _cluster_selector_error(policy: CompiledPolicy) -> SelectorError | None:
    for i, error in enumerate(policy.cluster_selectors.errors):
        if error:
            return SelectorError(f"spec.clusterSelectors[{i}]: {error}")
    return None


def select_clusters(policy: Mapping | CompiledPolicy, clusters: Mapping[str, Labels | None]) -> list[str]:
    """Names of the ManagedClusters whose labels pass any clusterSelector (acceptance plays no part).

    Raises SelectorError for an invalid clusterSelector: upstream then fails the sync and leaves the
    Binding's destinations as they were.
    """
    compiled = compile_policy(policy)
    if error := _cluster_selector_error(compiled):
        raise error
    selectors = compiled.cluster_selectors
    return sorted(name for name, labels in clusters.items() if selectors.matches_any(labels))


def _show_labels(labels: Labels | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "none"


@dataclass(frozen=True, slots=True)
class ClusterExplanation:
    """Whether a policy selects a cluster; when not, each clusterSelector's first failing term."""

    selected: bool
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)


def explain_cluster(policy: Mapping | CompiledPolicy, name: str, labels: Labels | None) -> ClusterExplanation:
    compiled = compile_policy(policy)
    if not compiled.cluster_selectors.raw:
        reason = f"BindingPolicy {compiled.name} has no clusterSelectors, so it selects no cluster"
        return ClusterExplanation(False, (reason,))
    if error := _cluster_selector_error(compiled):
        return ClusterExplanation(False, (f"{error} (the binding controller cannot resolve this policy's clusters)",))
    reasons = []
    for selector in compiled.cluster_selectors.compiled:
        failing = selector.failing_requirement(labels)
        if failing is None:
            return ClusterExplanation(True, (f"cluster selector {str(selector) or '{}'} matches {name}",))
        reasons.append(f"cluster selector {failing} does not match {name} (labels: {_show_labels(labels)})")
    return ClusterExplanation(False, tuple(reasons))


# ---------------------------------------------------------------------------------------------
# Objects


def _first_failure(clause: _Clause, ref: ObjectRef, labels: Labels | None, ns_labels: Labels | None) -> str | None:
    """The first test field that rejects the object, in upstream's order of evaluation; None if all pass."""
    if clause.api_group is not None and clause.api_group != ref.group:
        return "apiGroup"
    if clause.resources is not None and ref.resource not in clause.resources:
        return "resources"
    if clause.namespaces is not None and ref.namespace not in clause.namespaces:
        return "namespaces"
    if clause.object_names is not None and ref.name not in clause.object_names:
        return "objectNames"
    if clause.object_selectors is not None and not clause.object_selectors.matches_any(labels):
        return "objectSelectors"
    if clause.namespace_selectors is not None and (
            not ref.namespace or ns_labels is None or not clause.namespace_selectors.matches_any(ns_labels)):
        return "namespaceSelectors"
    return None


def match_object(policy: Mapping | CompiledPolicy, ref: ObjectRef, labels: Labels | None,
                 namespace_labels: Labels | None) -> Modulation | None:
    """How the policy downsyncs this object, or None when no clause selects it.

    `namespace_labels` are the labels of the object's Namespace in the WDS, None if it does not exist.
    Objects KubeStellar never watches (`is_excluded`) are never selected.
    """
    if is_excluded(ref.group, ref.resource):
        return None
    result = None
    for clause in compile_policy(policy).clauses:
        if _first_failure(clause, ref, labels, namespace_labels) is None:
            result = clause.modulation if result is None else result.merged(clause.modulation)
    return result


def _show_group(group: str) -> str:
    return f'"{group}"' if group else '"" (core)'


def _show_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(values) + "]"


def _failure_message(field: str, clause: _Clause, ref: ObjectRef, labels: Labels | None,
                     ns_labels: Labels | None) -> str:
    raw = clause.raw
    if field == "apiGroup":
        return (f"API group {_show_group(ref.group)} of {ref.kind or ref.resource} "
                f"is not apiGroup {_show_group(clause.api_group)}")
    if field == "resources":
        return f'resource "{ref.resource}" is not in resources {_show_list(raw["resources"])}'
    if field == "namespaces":
        if not ref.namespace:
            return (f'{ref.kind or ref.resource} "{ref.name}" is cluster-scoped: only empty namespaces or "*" '
                    f'match it, not {_show_list(raw["namespaces"])}')
        return f'namespace "{ref.namespace}" is not in namespaces {_show_list(raw["namespaces"])}'
    if field == "objectNames":
        return f'name "{ref.name}" is not in objectNames {_show_list(raw["objectNames"])}'
    if field == "objectSelectors":
        return (f"object labels ({_show_labels(labels)}) match none of objectSelectors "
                f"{clause.object_selectors.describe()}")
    selectors = clause.namespace_selectors.describe()
    if not ref.namespace:
        return (f'{ref.kind or ref.resource} "{ref.name}" is cluster-scoped: namespaceSelectors {selectors} '
                "pass it only with an empty selector {}")
    if ns_labels is None:
        return (f'namespace "{ref.namespace}" does not exist in the WDS, '
                f"so namespaceSelectors {selectors} cannot match")
    return (f'namespace "{ref.namespace}" labels ({_show_labels(ns_labels)}) '
            f"match none of namespaceSelectors {selectors}")


@dataclass(frozen=True, slots=True)
class ClauseVerdict:
    """One downsync clause's verdict: `field` is the first failing test, None when the clause matches."""

    index: int
    field: str | None
    message: str


@dataclass(frozen=True, slots=True)
class ObjectExplanation:
    modulation: Modulation | None
    clauses: tuple[ClauseVerdict, ...]
    excluded: str | None = None  # why KubeStellar never propagates this kind of object

    @property
    def selected(self) -> bool:
        return self.modulation is not None

    @property
    def message(self) -> str:
        if self.excluded:
            return self.excluded
        if not self.clauses:
            return "the BindingPolicy has no downsync clauses, so it selects no object"
        return "; ".join(f"downsync[{v.index}]: {v.message}" for v in self.clauses)


def explain_object(policy: Mapping | CompiledPolicy, ref: ObjectRef, labels: Labels | None,
                   namespace_labels: Labels | None) -> ObjectExplanation:
    """Per clause, whether it selects the object and otherwise which test fails, in plain words."""
    if is_excluded(ref.group, ref.resource):
        what = f"{ref.resource}.{ref.group}" if ref.group else ref.resource
        return ObjectExplanation(None, (), f"KubeStellar never propagates {what}")
    verdicts = []
    result = None
    for clause in compile_policy(policy).clauses:
        field = _first_failure(clause, ref, labels, namespace_labels)
        if field is None:
            result = clause.modulation if result is None else result.merged(clause.modulation)
            verdicts.append(ClauseVerdict(clause.index, None, "selects this object"))
        else:
            verdicts.append(ClauseVerdict(clause.index, field,
                                          _failure_message(field, clause, ref, labels, namespace_labels)))
    return ObjectExplanation(result, tuple(verdicts))


# ---------------------------------------------------------------------------------------------
# Binding


def _gvr_text(ref: ObjectRef) -> str:
    # metav1.GroupVersionResource.String(), upstream's first sort key.
    return f"{ref.group}/{ref.version}, Resource={ref.resource}"


def project_binding(policy: Mapping | CompiledPolicy, objects: Iterable[tuple[ObjectRef, Mapping]],
                    clusters: Mapping[str, Labels | None], namespace_labels: Mapping[str, Labels]) -> dict:
    """The Binding `spec` the binding controller writes for this policy, ordered as upstream orders it.

    `objects` are the WDS's workload objects with their refs; `namespace_labels` maps each existing
    WDS Namespace to its labels. Raises SelectorError for an invalid clusterSelector (see select_clusters).
    """
    compiled = compile_policy(policy)
    destinations = select_clusters(compiled, clusters)
    cluster_scope, namespace_scope = [], []
    for ref, obj in objects:
        modulation = match_object(compiled, ref, object_labels(obj),
                                  namespace_labels.get(ref.namespace) if ref.namespace else None)
        if modulation is None:
            continue
        entry = {"group": ref.group, "version": ref.version, "resource": ref.resource}
        if ref.namespace:
            entry["namespace"] = ref.namespace
        entry["name"] = ref.name
        entry["resourceVersion"] = (obj.get("metadata") or {}).get("resourceVersion") or ""
        entry.update(modulation.binding_fields())
        (namespace_scope if ref.namespace else cluster_scope).append((ref, entry))
    cluster_scope.sort(key=lambda item: (_gvr_text(item[0]), item[0].name, item[1]["resourceVersion"]))
    namespace_scope.sort(key=lambda item: (_gvr_text(item[0]), f"{item[0].namespace}/{item[0].name}",
                                           item[1]["resourceVersion"]))
    workload: dict = {}
    if cluster_scope:
        workload["clusterScope"] = [entry for _, entry in cluster_scope]
    if namespace_scope:
        workload["namespaceScope"] = [entry for _, entry in namespace_scope]
    spec: dict = {"workload": workload}
    if destinations:
        spec["destinations"] = [{"clusterId": name} for name in destinations]
    return spec


# ---------------------------------------------------------------------------------------------
# Validation


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """Something that makes a BindingPolicy fail, silently or not; `field` is a JSON path into it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _selector_problems(path: str, raw: object) -> list[PolicyProblem]:
    if not isinstance(raw, list):
        return [PolicyProblem(path, "must be a list of label selectors")]
    problems = []
    for i, sel in enumerate(raw):
        try:
            selector_from_dict(sel)
        except SelectorError as exc:
            problems.append(PolicyProblem(f"{path}[{i}]", str(exc)))
    return problems


def _name_list_problems(path: str, raw: object, *, resources: bool = False) -> list[PolicyProblem]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        return [PolicyProblem(path, "must be a list of strings")]
    problems = []
    if "*" in raw and len(raw) > 1:
        problems.append(PolicyProblem(path, 'contains "*", so it should contain nothing else'))
    if resources:
        problems.extend(
            PolicyProblem(f"{path}[{i}]", f'"{r}" is not a lowercase plural resource name, so it never matches')
            for i, r in enumerate(raw) if r != "*" and r != r.lower())
    return problems


def validate_policy(policy: Mapping) -> list[PolicyProblem]:
    """Problems the API server does not catch but that keep a BindingPolicy from working."""
    problems: list[PolicyProblem] = []
    name = str(_mapping(policy.get("metadata")).get("name") or "")
    if len(name) > MAX_POLICY_NAME:
        problems.append(PolicyProblem("metadata.name", (
            f"is {len(name)} characters; it becomes a ManifestWork label value (at most {MAX_POLICY_NAME}), "
            "so nothing reaches any WEC")))
    spec = policy.get("spec") or {}
    if not isinstance(spec, Mapping):
        return [*problems, PolicyProblem("spec", "must be an object")]
    if not isinstance(spec.get("downsync") or [], list):
        problems.append(PolicyProblem("spec.downsync", "must be a list of clauses"))
    cluster_selectors = spec.get("clusterSelectors")
    if not cluster_selectors:
        problems.append(PolicyProblem("spec.clusterSelectors", "is empty, so the policy selects no cluster"))
    else:
        problems.extend(_selector_problems("spec.clusterSelectors", cluster_selectors))
    for i, clause in enumerate(_list(spec.get("downsync"))):
        path = f"spec.downsync[{i}]"
        if not isinstance(clause, Mapping):
            problems.append(PolicyProblem(path, "must be an object"))
            continue
        if not any(clause.get(f) is not None for f in TEST_FIELDS):
            problems.append(PolicyProblem(path, "must have at least one of " + ", ".join(TEST_FIELDS)))
        for key in ("resources", "namespaces", "objectNames"):
            if clause.get(key) is not None:
                problems.extend(_name_list_problems(f"{path}.{key}", clause[key], resources=key == "resources"))
        for key in ("namespaceSelectors", "objectSelectors"):
            if clause.get(key) is not None:
                problems.extend(_selector_problems(f"{path}.{key}", clause[key]))
    return problems
