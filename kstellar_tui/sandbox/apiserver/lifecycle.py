"""What a cluster's built-in controllers do around the store: the objects a new cluster and a new
namespace start with, namespace and CRD termination, finalizers, and ownerReference garbage
collection (background, foreground and orphan propagation).

Rules react to committed changes through `ClusterStore.after_writes`, so a cascade runs to its end
before the API call that caused it answers, and every step is an ordinary store write (watchers,
subscribers and the database see each one).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.objectrules import copy_of, now_rfc3339
from kstellar_tui.sandbox.apiserver.resources import ResourceType

if TYPE_CHECKING:
    from kstellar_tui.sandbox.apiserver.store import ClusterStore

log = logging.getLogger(__name__)

NAMESPACES = ("", "namespaces")
CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")
SERVICE_ACCOUNTS = ("", "serviceaccounts")
CONFIG_MAPS = ("", "configmaps")
INITIAL_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
PROTECTED_NAMESPACES = ("default", "kube-public", "kube-system")
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
ROOT_CA_DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
    "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
    "distributions of Kubernetes clusters."
)
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
CRD_CLEANUP = "customresourcecleanup.apiextensions.k8s.io"


def _meta(obj: dict) -> dict:
    return obj["metadata"]


def _terminating(obj: dict | None) -> bool:
    return bool(obj and _meta(obj).get("deletionTimestamp"))


def condition(type_: str, status: str, reason: str, message: str, previous: list | None, now: str) -> dict:
    """A status condition whose lastTransitionTime moves only when its status does."""
    for old in previous or ():
        if isinstance(old, dict) and old.get("type") == type_ and old.get("status") == status:
            now = old.get("lastTransitionTime", now)
    return {"type": type_, "status": status, "lastTransitionTime": now, "reason": reason, "message": message}


class Lifecycle:
    """The control-plane rules of one cluster store."""

    def __init__(self, store: ClusterStore, *, root_ca_pem: str = "") -> None:
        self.store = store
        self.root_ca_pem = root_ca_pem

    # ------------------------------------------------------------------ start
    def restore(self) -> None:
        """After loading from disk: serve the stored CRDs again."""
        for crd in self.store.objects(CRDS):
            self._apply_crd(crd)

    def bootstrap(self) -> None:
        """A cluster starts with its system namespaces; unfinished deletions carry on."""
        store = self.store
        ns_rt = self._rt(NAMESPACES)
        for name in INITIAL_NAMESPACES:
            if store.find(NAMESPACES, "", name) is None:
                store.create(ns_rt, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        for namespace in store.objects(NAMESPACES):
            if not _terminating(namespace):
                self._ensure_namespace_defaults(_meta(namespace)["name"])
        for key in list(store.keys()):
            rt = store.type_for(key)
            for obj in store.objects_containing(key, b'"deletionTimestamp"'):
                if rt is not None and _terminating(obj):
                    self._on_terminating(rt, obj)

    # ------------------------------------------------------------------ admission
    def admit_create(self, rt: ResourceType, obj: dict) -> None:
        """Namespaced objects need an existing namespace that is not being deleted."""
        if not rt.namespaced:
            return
        name = _meta(obj).get("namespace", "")
        namespace = self.store.find(NAMESPACES, "", name)
        if namespace is None:
            raise ApiError(404, "NotFound", f'namespaces "{name}" not found',
                           {"name": name, "kind": "namespaces"})
        if _terminating(namespace):
            shown = _meta(obj).get("name") or _meta(obj).get("generateName", "")
            raise ApiError(403, "Forbidden",
                           f'{rt.plural} "{shown}" is forbidden: unable to create new content in namespace {name} '
                           "because it is being terminated",
                           {"name": _meta(obj).get("name", ""), "kind": rt.plural,
                            "causes": [{"reason": "NamespaceTerminating", "field": "metadata.namespace",
                                        "message": f"namespace {name} is being terminated"}]})

    def admit_delete(self, rt: ResourceType, obj: dict) -> None:
        name = _meta(obj)["name"]
        if rt.key == NAMESPACES and name in PROTECTED_NAMESPACES:
            raise ApiError(403, "Forbidden", f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                           {"name": name, "kind": "namespaces"})

    def mark_for_deletion(self, rt: ResourceType, current: dict, policy: str) -> dict | None:
        """None to remove `current` now; else the object marked with deletionTimestamp (or
        `current` itself when it already is and nothing changes)."""
        meta = _meta(current)
        finalizers = list(meta.get("finalizers") or [])
        has_dependents = bool(self.store.dependents(meta["uid"]))
        for wanted, needed in ((FOREGROUND, policy == "Foreground" and has_dependents),
                               (ORPHAN, policy == "Orphan" and has_dependents),
                               (CRD_CLEANUP, rt.key == CRDS)):
            if needed and wanted not in finalizers:
                finalizers.append(wanted)
        if not finalizers and rt.key != NAMESPACES:
            return None
        if meta.get("deletionTimestamp") and finalizers == (meta.get("finalizers") or []):
            return current
        marked = copy_of(current)
        marked_meta = _meta(marked)
        marked_meta.setdefault("deletionTimestamp", now_rfc3339())
        marked_meta.setdefault("deletionGracePeriodSeconds", 0)
        if finalizers:
            marked_meta["finalizers"] = finalizers
        if rt.key == NAMESPACES:
            marked.setdefault("status", {})["phase"] = "Terminating"
        if rt.key == CRDS:
            status = marked.setdefault("status", {})
            status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "Terminating"] + [
                condition("Terminating", "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress",
                          None, now_rfc3339())]
        return marked

    @staticmethod
    def ready_to_remove(rt: ResourceType, obj: dict) -> bool:
        """Whether a terminating object without metadata.finalizers may go (namespaces also wait
        for their spec.finalizers)."""
        return rt.key != NAMESPACES or not (obj.get("spec") or {}).get("finalizers")

    # ------------------------------------------------------------------ reactions
    def committed(self, event_type: str, rt: ResourceType, obj: dict, old: dict | None) -> None:
        """Schedule what the cluster's controllers would do after this change."""
        key = rt.key
        after = self.store.after_writes
        if event_type == "DELETED":
            self._on_removed(rt, obj)
            return
        if _terminating(obj):
            if not _terminating(old) or _meta(obj).get("finalizers") != _meta(old).get("finalizers"):
                self._on_terminating(rt, obj)
            return
        if key == NAMESPACES and event_type == "ADDED":
            after(self._ensure_namespace_defaults, _meta(obj)["name"])
        elif key == CRDS and (old is None or old.get("spec") != obj.get("spec")):
            name = _meta(obj)["name"]
            after(self._establish, name)

    def _on_terminating(self, rt: ResourceType, obj: dict) -> None:
        after = self.store.after_writes
        ref = (rt, _meta(obj).get("namespace", ""), _meta(obj)["name"])
        finalizers = _meta(obj).get("finalizers") or []
        if ORPHAN in finalizers:
            after(self._orphan_dependents, *ref)
        if FOREGROUND in finalizers:
            after(self._delete_dependents_in_foreground, *ref)
        if rt.key == NAMESPACES:
            after(self._empty_namespace, ref[2])
        if rt.key == CRDS and CRD_CLEANUP in finalizers:
            after(self._empty_crd, ref[2])

    def _on_removed(self, rt: ResourceType, obj: dict) -> None:
        after = self.store.after_writes
        meta = _meta(obj)
        uid, namespace, name = meta["uid"], meta.get("namespace", ""), meta["name"]
        if self.store.dependents(uid):
            after(self._collect_dependents, uid)
        for owner in meta.get("ownerReferences") or ():
            if isinstance(owner, dict) and owner.get("uid"):
                owner_uid = owner["uid"]
                after(self._finish_foreground, owner_uid)
        if rt.key == CRDS:
            self.store.registry.remove_crd(name)
            self.store.close_watches((obj["spec"]["group"], obj["spec"]["names"]["plural"]))
        elif not rt.builtin:
            after(self._finish_crd, f"{rt.plural}.{rt.group}")
        if namespace:
            ns = self.store.find(NAMESPACES, "", namespace)
            if _terminating(ns):
                after(self._finish_namespace, namespace)
            elif ns is not None and (rt.key, name) in ((SERVICE_ACCOUNTS, "default"), (CONFIG_MAPS, ROOT_CA_CONFIGMAP)):
                after(self._ensure_namespace_defaults, namespace)

    # ------------------------------------------------------------------ namespaces
    def _ensure_namespace_defaults(self, namespace: str) -> None:
        """What the serviceaccount and root-ca-cert-publisher controllers put in every namespace."""
        store = self.store
        if store.find(SERVICE_ACCOUNTS, namespace, "default") is None:
            store.create(self._rt(SERVICE_ACCOUNTS), {
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": namespace}})
        if store.find(CONFIG_MAPS, namespace, ROOT_CA_CONFIGMAP) is None:
            store.create(self._rt(CONFIG_MAPS), {
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": ROOT_CA_CONFIGMAP, "namespace": namespace,
                             "annotations": {"kubernetes.io/description": ROOT_CA_DESCRIPTION}},
                "data": {"ca.crt": self.root_ca_pem}})

    def _empty_namespace(self, namespace: str) -> None:
        """The namespace controller: delete everything in a terminating namespace, then finish it."""
        store = self.store
        for key in list(store.keys()):
            rt = store.type_for(key)
            if rt is None or not rt.namespaced:
                continue
            for obj in store.objects(key, namespace):
                if not _terminating(obj):
                    self._delete_quietly(rt, namespace, _meta(obj)["name"])
        self._finish_namespace(namespace)

    def _finish_namespace(self, namespace: str) -> None:
        store = self.store
        ns = store.find(NAMESPACES, "", namespace)
        if not _terminating(ns) or self._namespace_has_content(namespace):
            return
        if (ns.get("spec") or {}).get("finalizers"):
            finalized = copy_of(ns)
            finalized["spec"]["finalizers"] = []
            store.update(self._rt(NAMESPACES), finalized, subresource="finalize")

    def _namespace_has_content(self, namespace: str) -> bool:
        for key in self.store.keys():  # noqa: SIM118 (a method of the store, not a dict)
            rt = self.store.type_for(key)
            if rt is not None and rt.namespaced and self.store.objects(key, namespace):
                return True
        return False

    # ------------------------------------------------------------------ CRDs
    def _apply_crd(self, crd: dict) -> str | None:
        """Serve a CRD's resources; the reason it was refused, or None."""
        try:
            self.store.registry.apply_crd(crd)
        except ValueError as error:
            return str(error)
        return None

    def _establish(self, name: str) -> None:
        """The CRD controllers: serve the resources, then report NamesAccepted and Established."""
        store = self.store
        crd = store.find(CRDS, "", name)
        if crd is None or _terminating(crd):
            return
        refused = self._apply_crd(crd)
        spec = crd.get("spec") or {}
        names = dict(spec.get("names") or {})
        names.setdefault("singular", str(names.get("kind", "")).lower())
        names.setdefault("listKind", f"{names.get('kind', '')}List")
        previous = (crd.get("status") or {}).get("conditions")
        now = now_rfc3339()
        if refused is None:
            conditions = [
                condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", previous, now),
                condition("Established", "True", "InitialNamesAccepted", "the initial names have been accepted",
                          previous, now)]
        else:
            conditions = [condition("NamesAccepted", "False", "NameConflict", refused, previous, now),
                          condition("Established", "False", "NotAccepted", "not all names are accepted",
                                    previous, now)]
        stored = [v.get("name") for v in spec.get("versions") or [] if isinstance(v, dict) and v.get("storage")]
        established = copy_of(crd)
        established["status"] = {"acceptedNames": names if refused is None else {},
                                 "conditions": conditions, "storedVersions": stored}
        store.update(self._rt(CRDS), established, subresource="status")

    def _empty_crd(self, name: str) -> None:
        """The CRD finalizer: delete every custom resource it serves, then let the CRD go."""
        crd = self.store.find(CRDS, "", name)
        if crd is None:
            return
        key = (crd["spec"]["group"], crd["spec"]["names"]["plural"])
        rt = self.store.type_for(key)
        if rt is not None:
            for obj in self.store.objects(key):
                if not _terminating(obj):
                    self._delete_quietly(rt, _meta(obj).get("namespace", ""), _meta(obj)["name"])
        self._finish_crd(name)

    def _finish_crd(self, name: str) -> None:
        crd = self.store.find(CRDS, "", name)
        if not _terminating(crd) or CRD_CLEANUP not in (_meta(crd).get("finalizers") or []):
            return
        if self.store.objects((crd["spec"]["group"], crd["spec"]["names"]["plural"])):
            return
        self._drop_finalizer(self._rt(CRDS), crd, CRD_CLEANUP)

    # ------------------------------------------------------------------ garbage collection
    def _collect_dependents(self, owner_uid: str) -> None:
        """Background propagation: a dependent whose owners are all gone is deleted; one that
        still has an owner loses the dangling reference."""
        for rt, dependent in self.store.dependents(owner_uid):
            if _terminating(dependent):
                continue
            refs = _meta(dependent).get("ownerReferences") or []
            alive = [r for r in refs if isinstance(r, dict) and r.get("uid") != owner_uid
                     and self.store.find_uid(r.get("uid", "")) is not None]
            if alive:
                self._drop_owner_reference(rt, dependent, owner_uid)
            else:
                self._delete_quietly(rt, _meta(dependent).get("namespace", ""), _meta(dependent)["name"])

    def _orphan_dependents(self, rt: ResourceType, namespace: str, name: str) -> None:
        owner = self.store.find(rt.key, namespace, name)
        if owner is None or ORPHAN not in (_meta(owner).get("finalizers") or []):
            return
        for dep_rt, dependent in self.store.dependents(_meta(owner)["uid"]):
            self._drop_owner_reference(dep_rt, dependent, _meta(owner)["uid"])
        self._drop_finalizer(rt, self.store.find(rt.key, namespace, name), ORPHAN)

    def _delete_dependents_in_foreground(self, rt: ResourceType, namespace: str, name: str) -> None:
        owner = self.store.find(rt.key, namespace, name)
        if owner is None or FOREGROUND not in (_meta(owner).get("finalizers") or []):
            return
        uid = _meta(owner)["uid"]
        for dep_rt, dependent in self.store.dependents(uid):
            if not _terminating(dependent):
                blocking = any(r.get("uid") == uid and r.get("blockOwnerDeletion")
                               for r in _meta(dependent).get("ownerReferences") or [] if isinstance(r, dict))
                self._delete_quietly(dep_rt, _meta(dependent).get("namespace", ""), _meta(dependent)["name"],
                                     "Foreground" if blocking else "Background")
        self._finish_foreground(uid)

    def _finish_foreground(self, owner_uid: str) -> None:
        """An owner deleted in the foreground goes once no blocking dependent remains."""
        found = self.store.find_uid(owner_uid)
        if found is None:
            return
        rt, owner = found
        if not _terminating(owner) or FOREGROUND not in (_meta(owner).get("finalizers") or []):
            return
        for _, dependent in self.store.dependents(owner_uid):
            if any(r.get("uid") == owner_uid and r.get("blockOwnerDeletion")
                   for r in _meta(dependent).get("ownerReferences") or [] if isinstance(r, dict)):
                return
        self._drop_finalizer(rt, owner, FOREGROUND)

    # ------------------------------------------------------------------ helpers
    def _drop_owner_reference(self, rt: ResourceType, obj: dict, owner_uid: str) -> None:
        changed = copy_of(obj)
        refs = [r for r in _meta(changed).get("ownerReferences") or [] if r.get("uid") != owner_uid]
        if refs:
            _meta(changed)["ownerReferences"] = refs
        else:
            _meta(changed).pop("ownerReferences", None)
        self.store.update(rt, changed)

    def _drop_finalizer(self, rt: ResourceType, obj: dict, finalizer: str) -> None:
        changed = copy_of(obj)
        _meta(changed)["finalizers"] = [f for f in _meta(changed).get("finalizers") or [] if f != finalizer]
        if not _meta(changed)["finalizers"]:
            del _meta(changed)["finalizers"]
        self.store.update(rt, changed)

    def _delete_quietly(self, rt: ResourceType, namespace: str, name: str, policy: str = "Background") -> None:
        """Delete as a controller does: an object already gone is not an error."""
        try:
            self.store.delete(rt, namespace, name, options={"propagationPolicy": policy})
        except ApiError as error:
            if error.code != 404:
                raise

    def _rt(self, key: tuple[str, str]) -> ResourceType:
        rt = self.store.type_for(key)
        if rt is None:
            raise LookupError(f"the registry does not serve {key}")
        return rt

