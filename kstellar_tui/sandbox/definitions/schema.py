"""openAPIV3Schema building blocks, so each definition states only what is particular to its kind.

Kubernetes validates a custom resource against its CRD's structural schema; the pieces that recur
across KubeStellar, OCM and KubeFlex (label selectors, the condition shapes, embedded manifests)
live here once."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

# The label patterns that KubeStellar's CRD patch puts on BindingPolicy cluster selectors.
LABEL_KEY_PATTERN = (r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                     r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
SELECTOR_OPERATOR_PATTERN = r"^(In|NotIn|Exists|DoesNotExist)$"

# metav1.Condition's kubebuilder markers (OCM types use metav1.Condition).
CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
CONDITION_TYPE_PATTERN = (r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                          r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$")
DNS1123_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS1123_SUBDOMAIN_PATTERN = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$"


def string(**extra: Any) -> Schema:
    return {"type": "string", **extra}


def boolean(**extra: Any) -> Schema:
    return {"type": "boolean", **extra}


def integer(fmt: str = "int64", **extra: Any) -> Schema:
    return {"type": "integer", "format": fmt, **extra}


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def strings() -> Schema:
    return array(string())


def obj(properties: dict[str, Schema] | None = None, required: tuple[str, ...] = (), **extra: Any) -> Schema:
    schema: Schema = {"type": "object"}
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def string_map(value: Schema | None = None) -> Schema:
    return {"type": "object", "additionalProperties": value or string()}


def free_form() -> Schema:
    """An object whose content the API does not describe (e.g. a copied `.status`)."""
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def embedded_object() -> Schema:
    """A whole Kubernetes object inside another (ManifestWork manifests, PostCreateHook templates)."""
    return {"type": "object", "x-kubernetes-embedded-resource": True, "x-kubernetes-preserve-unknown-fields": True}


def list_map(items: Schema, *keys: str) -> Schema:
    return array(items, **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys)})


def label_selector(validated: bool = False) -> Schema:
    """metav1.LabelSelector; `validated` adds the key/value/operator patterns of KubeStellar's CRD patch."""
    key = string(pattern=LABEL_KEY_PATTERN) if validated else string()
    operator = string(pattern=SELECTOR_OPERATOR_PATTERN) if validated else string()
    value = string(pattern=LABEL_VALUE_PATTERN) if validated else string()
    requirement = obj({"key": key, "operator": operator,
                       "values": array(value, **{"x-kubernetes-list-type": "atomic"})},
                      required=("key", "operator"))
    return obj({"matchExpressions": array(requirement, **{"x-kubernetes-list-type": "atomic"}),
                "matchLabels": string_map(value)},
               **{"x-kubernetes-map-type": "atomic"})


def metav1_conditions() -> Schema:
    """`[]metav1.Condition` with its validation, keyed by type (OCM status conditions)."""
    condition = obj({
        "lastTransitionTime": string(format="date-time"),
        "message": string(maxLength=32768),
        "observedGeneration": integer(minimum=0),
        "reason": string(maxLength=1024, minLength=1, pattern=CONDITION_REASON_PATTERN),
        "status": string(enum=["True", "False", "Unknown"]),
        "type": string(maxLength=316, pattern=CONDITION_TYPE_PATTERN),
    }, required=("lastTransitionTime", "message", "reason", "status", "type"))
    return list_map(condition, "type")


def plain_conditions(*extra_times: str) -> Schema:
    """The project-specific condition structs of KubeStellar and KubeFlex: all strings, all required."""
    times = ("lastTransitionTime", *extra_times)
    fields = {name: string(format="date-time") for name in times}
    fields.update(message=string(), reason=string(), status=string(), type=string())
    return array(obj(fields, required=tuple(sorted(fields))))


def observed_status(**fields: Schema) -> Schema:
    """A status block whose `observedGeneration` is required, as controller-gen marks it."""
    return obj({**fields, "observedGeneration": integer()}, required=("observedGeneration",))


def resource_root(*, required: tuple[str, ...] = (), **top: Schema) -> Schema:
    """The top of every openAPIV3Schema: apiVersion, kind, metadata plus the kind's own fields."""
    return obj({"apiVersion": string(), "kind": string(), "metadata": obj(), **top}, required=required)
