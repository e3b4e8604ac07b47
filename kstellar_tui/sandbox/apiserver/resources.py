"""What a resource type is, and the built-in kinds every sandbox cluster serves."""

from __future__ import annotations

from dataclasses import dataclass, field

from kstellar_tui.sandbox.apiserver import builtin_models

STANDARD_VERBS: tuple[str, ...] = (
    "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch",
)


@dataclass(frozen=True)
class PrinterColumn:
    """One column of `kubectl get` output (a CRD's additionalPrinterColumns entry)."""

    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True)
class ResourceType:
    """One served group/version/resource; objects are stored once per (group, plural)."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()
    verbs: tuple[str, ...] = STANDARD_VERBS
    printer_columns: tuple[PrinterColumn, ...] = ()
    schema: dict | None = field(default=None, compare=False, hash=False)
    builtin: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def group_resource(self) -> str:
        """`deployments.apps`, or `pods` for the core group: the name upstream puts in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    def subresource_kind(self, subresource: str) -> tuple[str, str, str]:
        """(group, version, kind) a subresource answers with: Scale for /scale, the object's own kind otherwise."""
        if subresource == "scale":
            return SCALE_GVK
        return (self.group, self.version, self.kind)


SCALE_GVK: tuple[str, str, str] = ("autoscaling", "v1", "Scale")

SUBRESOURCE_VERBS: dict[str, tuple[str, ...]] = {
    "status": ("get", "patch", "update"),
    "scale": ("get", "patch", "update"),
    "approval": ("get", "patch", "update"),
    "finalize": ("update",),
}

# What a CustomResourceDefinition serves, in apiextensions' own order.
CRD_VERBS: tuple[str, ...] = ("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch")


def _builtin(group: str, version: str, kind: str, plural: str, *, namespaced: bool = True,
             short: tuple[str, ...] = (), all_category: bool = False, subresources: tuple[str, ...] = (),
             verbs: tuple[str, ...] = STANDARD_VERBS, categories: tuple[str, ...] = ()) -> ResourceType:
    return ResourceType(
        group=group, version=version, kind=kind, plural=plural, singular=kind.lower(), namespaced=namespaced,
        short_names=short, categories=("all", *categories) if all_category else categories,
        subresources=frozenset(subresources), verbs=verbs,
    )


_STATUS = ("status",)
_SCALABLE = ("status", "scale")

# Names, scopes, short names, categories and subresources as a v1.32 kube-apiserver lists them
# (`kubectl api-resources`); only the subresources this sandbox serves are declared.
BUILTIN_TYPES: tuple[ResourceType, ...] = (
    _builtin("", "v1", "Namespace", "namespaces", namespaced=False, short=("ns",),
             subresources=("status", "finalize"),
             verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    _builtin("", "v1", "Pod", "pods", short=("po",), all_category=True, subresources=_STATUS),
    _builtin("", "v1", "Service", "services", short=("svc",), all_category=True, subresources=_STATUS),
    _builtin("", "v1", "Endpoints", "endpoints", short=("ep",)),
    _builtin("", "v1", "ConfigMap", "configmaps", short=("cm",)),
    _builtin("", "v1", "Secret", "secrets"),
    _builtin("", "v1", "ServiceAccount", "serviceaccounts", short=("sa",)),
    _builtin("", "v1", "Event", "events", short=("ev",)),
    _builtin("", "v1", "ReplicationController", "replicationcontrollers", short=("rc",), all_category=True,
             subresources=_SCALABLE),
    _builtin("", "v1", "ResourceQuota", "resourcequotas", short=("quota",), subresources=_STATUS),
    _builtin("", "v1", "Node", "nodes", namespaced=False, short=("no",), subresources=_STATUS),
    _builtin("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short=("pvc",), subresources=_STATUS),
    _builtin("", "v1", "PersistentVolume", "persistentvolumes", namespaced=False, short=("pv",),
             subresources=_STATUS),
    _builtin("apps", "v1", "Deployment", "deployments", short=("deploy",), all_category=True,
             subresources=_SCALABLE),
    _builtin("apps", "v1", "ReplicaSet", "replicasets", short=("rs",), all_category=True, subresources=_SCALABLE),
    _builtin("apps", "v1", "StatefulSet", "statefulsets", short=("sts",), all_category=True,
             subresources=_SCALABLE),
    _builtin("apps", "v1", "DaemonSet", "daemonsets", short=("ds",), all_category=True, subresources=_STATUS),
    _builtin("apps", "v1", "ControllerRevision", "controllerrevisions"),
    _builtin("events.k8s.io", "v1", "Event", "events", short=("ev",)),
    _builtin("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", short=("hpa",),
             all_category=True, subresources=_STATUS),
    _builtin("batch", "v1", "Job", "jobs", all_category=True, subresources=_STATUS),
    _builtin("batch", "v1", "CronJob", "cronjobs", short=("cj",), all_category=True, subresources=_STATUS),
    _builtin("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests",
             namespaced=False, short=("csr",), subresources=("approval", "status")),
    _builtin("networking.k8s.io", "v1", "Ingress", "ingresses", short=("ing",), subresources=_STATUS),
    _builtin("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced=False),
    _builtin("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short=("netpol",)),
    _builtin("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short=("pdb",), subresources=_STATUS),
    _builtin("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced=False),
    _builtin("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced=False),
    _builtin("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    _builtin("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    _builtin("storage.k8s.io", "v1", "CSIDriver", "csidrivers", namespaced=False),
    _builtin("storage.k8s.io", "v1", "CSINode", "csinodes", namespaced=False),
    _builtin("storage.k8s.io", "v1", "StorageClass", "storageclasses", namespaced=False, short=("sc",)),
    _builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
             namespaced=False, short=("crd", "crds"), categories=("api-extensions",), subresources=_STATUS),
    _builtin("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", namespaced=False, short=("pc",)),
    _builtin("coordination.k8s.io", "v1", "Lease", "leases"),
)


# ---------------------------------------------------------------------------- field structure of built-in kinds

_SCALAR_SCHEMAS = {"str": {"type": "string"}, "int": {"type": "integer"}, "float": {"type": "number"},
                   "bool": {"type": "boolean"}, "datetime": {"type": "string"}, "date": {"type": "string"}}
_FREE_FORM = {"x-kubernetes-preserve-unknown-fields": True}  # RawExtension, IntOrString, JSON…
_MODEL_SCHEMAS: dict[str, dict | None] = {}
# Structs upstream marks `+structType=atomic`: server-side apply owns and replaces them whole.
_ATOMIC_MODELS = frozenset({
    "V1LabelSelector", "V1LocalObjectReference", "V1ObjectReference", "V1TypedLocalObjectReference",
    "V1ConfigMapKeySelector", "V1SecretKeySelector", "V1ObjectFieldSelector", "V1ResourceFieldSelector",
    "V1NodeSelector", "V1NodeSelectorTerm",
})


def builtin_schema(rt: ResourceType) -> dict | None:
    """The field structure of a built-in kind (names, nesting, atomic structs; no value rules), or None otherwise.

    It comes from the official Python client's generated models (through `builtin_models`' table),
    and lets strict field validation name unknown fields of built-ins as upstream does.
    Self-referencing models (JSONSchemaProps) make the result a cyclic structure: walk it, don't dump it.
    """
    if not rt.builtin:
        return None
    for name in model_names(rt):
        schema = _model_schema(name)
        if schema is not None:
            return schema
    return None


def model_names(rt: ResourceType) -> tuple[str, str]:
    """The client's model names for a built-in kind, most specific first: CoreV1Event, then V1Event."""
    prefix = "Core" if not rt.group else rt.group.split(".")[0].capitalize()
    version = rt.version.capitalize()
    return f"{prefix}{version}{rt.kind}", f"{version}{rt.kind}"


def object_meta_schema() -> dict:
    """The field structure of ObjectMeta, which every kind (custom resources too) embeds as `metadata`."""
    schema = _model_schema("V1ObjectMeta")
    assert schema is not None  # the official client always has it
    return schema


def _model_schema(name: str) -> dict | None:
    if name not in _MODEL_SCHEMAS:
        model_fields = builtin_models.fields(name)
        if model_fields is None:
            _MODEL_SCHEMAS[name] = None
        else:
            properties: dict[str, dict] = {}
            schema: dict = {"type": "object", "properties": properties}
            if name in _ATOMIC_MODELS:
                schema["x-kubernetes-map-type"] = "atomic"
            _MODEL_SCHEMAS[name] = schema  # cached before recursing
            for field_name, type_name in model_fields.items():
                properties[field_name] = _type_schema(type_name)
    return _MODEL_SCHEMAS[name]


def _type_schema(type_name: str) -> dict:
    if type_name.startswith("List[") and type_name.endswith("]"):
        return {"type": "array", "items": _type_schema(type_name[5:-1])}
    if type_name.startswith("Dict[str, ") and type_name.endswith("]"):
        return {"type": "object", "additionalProperties": _type_schema(type_name[10:-1])}
    if type_name in _SCALAR_SCHEMAS:
        return _SCALAR_SCHEMAS[type_name]
    return _model_schema(type_name) or _FREE_FORM
