"""Why a cell is what it is: the chain BindingPolicy → Binding → ManifestWork → WorkStatus → WEC copy,
and for a blank cell, why not — worded for someone who has never read a ManifestWork.

Pure: reads a FleetStore. Callers that can reach the clusters add the objects' YAML themselves."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from kstellar_tui.core.fleet.placement import explain_cluster, explain_object, object_ref
from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.core.fleet.store import BLANK, LABEL_VALUE_LIMIT, MANIFESTWORK_LIMIT, FleetStore


@dataclass
class Step:
    step: str  # "BindingPolicy", "Binding", "ManifestWork", "WorkStatus", "WEC object", "Cluster"
    name: str
    ok: bool
    detail: str


@dataclass
class Explanation:
    workload: str
    cluster: str
    state: str
    message: str
    chain: list[Step] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def explain(store: FleetStore, key: str, cluster: str) -> Explanation:
    store.settle()
    cell = store.cells.get(key, {}).get(cluster, BLANK)
    row = store.row_info(key) if key in store.cells or key in store.workloads else None
    title = f"{row['kind']} {row['namespace'] + '/' if row and row['namespace'] else ''}{row['name']}" if row else key
    result = Explanation(title, cluster, cell.state.label if cell.state else "Not selected", cell.message)
    _cluster_step(store, cluster, result)
    selecting = _policy_steps(store, key, cluster, result)
    _binding_steps(store, key, cluster, selecting, result)
    _delivery_steps(store, key, cluster, result)
    if cell.state is CellState.NOT_SELECTED and not result.reasons:
        result.reasons.append("no BindingPolicy selects this workload for this cluster")
    return result


def _cluster_step(store: FleetStore, cluster: str, out: Explanation) -> None:
    info = store.clusters.get(cluster)
    if info is None:
        out.chain.append(Step("Cluster", cluster, False, "not registered in the ITS (no ManagedCluster)"))
        out.reasons.append(f"cluster {cluster} is not registered")
        return
    problems = []
    if not info.accepted:
        problems.append("not accepted by the hub (hubAcceptsClient is false; run clusteradm accept)")
    if info.joined != "True":
        problems.append("has not joined")
    if info.available != "True":
        problems.append(f"not available ({info.available_reason or info.available or 'no condition yet'})")
    conn = store.cluster_connection(cluster)
    if conn is None:
        access = "not reachable directly: status comes from the hub (WorkStatus)"
    else:
        access = f"watched directly: {conn.state.value}{' — ' + conn.detail if conn.detail else ''}"
    out.chain.append(Step("Cluster", cluster, not problems,
                          "; ".join(problems + [access]) if problems else f"accepted, joined, available; {access}"))
    out.reasons.extend(f"cluster {cluster} {p}" for p in problems)


def _policy_steps(store: FleetStore, key: str, cluster: str, out: Explanation) -> list[str]:
    """Each BindingPolicy's verdict on this (object, cluster); returns the names that select both."""
    workload = store.workloads.get(key)
    info = store.clusters.get(cluster)
    selecting = []
    if not store.policies:
        out.chain.append(Step("BindingPolicy", "", False, "the WDS has no BindingPolicies"))
    for name, policy in sorted(store.policies.items()):
        verdicts = []
        cluster_ok = True
        if info is not None:
            c = explain_cluster(policy, cluster, info.labels)
            cluster_ok = c.selected
            if not cluster_ok:
                verdicts.append(c.message)
        object_ok = True
        if workload is not None and workload.obj is not None:
            ref = object_ref(workload.obj, key.split("/", 2)[1])
            o = explain_object(policy, ref, workload.labels, store.namespaces.get(workload.namespace))
            object_ok = o.selected
            if not object_ok:
                verdicts.append(o.message)
        ok = cluster_ok and object_ok
        if ok:
            selecting.append(name)
            if len(name) > LABEL_VALUE_LIMIT:
                out.reasons.append(
                    f"BindingPolicy {name[:24]}… has a {len(name)}-character name: upstream uses it as a label "
                    f"value (at most {LABEL_VALUE_LIMIT}), so its ManifestWorks are never created and nothing "
                    "says so. Rename the policy.")
        out.chain.append(Step("BindingPolicy", name, ok, "selects this workload for this cluster" if ok
                              else "; ".join(verdicts)))
    return selecting


def _binding_steps(store: FleetStore, key: str, cluster: str, selecting: list[str], out: Explanation) -> None:
    for name in sorted(store.bound.get(key, ())):
        binding = store.bindings[name]
        listed = cluster in binding.destinations
        mode = " (createOnly: later WDS changes are not applied)" if binding.entries.get(key) else ""
        out.chain.append(Step("Binding", name, listed,
                              f"lists the workload and {cluster}{mode}" if listed
                              else f"lists the workload but not {cluster}"))
    for name in selecting:
        if name not in store.bindings:
            out.chain.append(Step("Binding", name, False, "not written yet by the binding controller"))


def _delivery_steps(store: FleetStore, key: str, cluster: str, out: Explanation) -> None:
    works = sorted(store.works_by_cell.get((key, cluster), ()))
    workload = store.workloads.get(key)
    if not works and store.bound.get(key):
        if workload is not None and workload.size > MANIFESTWORK_LIMIT:
            out.reasons.append(f"the object is {workload.size} bytes once wrapped; the ITS refuses ManifestWorks "
                               f"over {MANIFESTWORK_LIMIT} bytes, silently")
        out.chain.append(Step("ManifestWork", "", False, f"none in namespace {cluster} of the ITS yet"))
    for name in works:
        work = store.works[(cluster, name)]
        failure = work.failures.get(key)
        if failure:
            out.reasons.append(_plain(failure, cluster))
        ok = work.applied == "True" and not failure
        state = {"True": "Applied", "False": "not applied", "": "not applied yet"}[work.applied]
        out.chain.append(Step("ManifestWork", f"{cluster}/{name}", ok,
                              f"{state}{': ' + (failure or work.message) if (failure or work.message) else ''}"))
    reported = store.reported.get((cluster, key))
    if reported is not None:
        health, message = reported
        out.chain.append(Step("WorkStatus", cluster, health.name == "READY", f"{health.name.lower()}: {message}"))
    if store.cluster_connection(cluster) is not None and works:
        copy = store.copies.get((cluster, key))
        if copy is None:
            out.chain.append(Step("WEC object", cluster, False, "absent"))
        else:
            health, message, copy_digest = copy
            drift = (bool(copy_digest) and workload is not None and workload.obj is not None  # Ready copies only
                     and workload.digest != copy_digest)
            detail = f"{health.name.lower()}: {message}" + ("; differs from the WDS object" if drift else "")
            out.chain.append(Step("WEC object", cluster, health.name == "READY" and not drift, detail))
            if health.name == "DEGRADED":
                out.reasons.append(f"on {cluster}: {message}")


def _plain(failure: str, cluster: str) -> str:
    """Upstream's apply errors, said plainly with the fix."""
    if "namespaces" in failure and "not found" in failure:
        return (f"the namespace does not exist on {cluster}: select the Namespace object in the same "
                f"BindingPolicy (or create it there). Agent said: {failure}")
    if "forbidden" in failure.lower():
        return (f"the OCM work agent on {cluster} may not write this kind (RBAC): grant "
                "klusterlet-work-sa access, e.g. a ClusterRole labelled "
                f"open-cluster-management.io/aggregate-to-work=true. Agent said: {failure}")
    return f"applying on {cluster} failed: {failure}"
