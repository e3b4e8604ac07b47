"""KubeFlex kinds (`tenancy.kflex.kubestellar.org/v1alpha1`), installed in the hosting cluster by
the KubeFlex operator chart that the KubeStellar core chart pulls in (kubeflex v0.9.3)."""

from __future__ import annotations

from kstellar_tui.sandbox.definitions.crd import AGE_UPPER, column, custom_resource_definition
from kstellar_tui.sandbox.definitions.schema import (
    array, boolean, embedded_object, integer, obj, observed_status, plain_conditions, resource_root, string,
    string_map,
)

GROUP = "tenancy.kflex.kubestellar.org"
VERSION = "v1alpha1"

CONTROL_PLANE_TYPES = ("k8s", "ocm", "vcluster", "host", "external", "k3s")

# Both kinds print the same four columns (upstream even gives PostCreateHook a TYPE column).
_COLUMNS = (
    column("SYNCED", ".status.conditions[?(@.type=='Synced')].status"),
    column("READY", ".status.conditions[?(@.type=='Ready')].status"),
    column("TYPE", ".spec.type"),
    AGE_UPPER,
)

_secret_reference = obj({"inClusterKey": string(), "key": string(), "name": string(), "namespace": string()},
                        required=("inClusterKey", "name", "namespace"))


def _kflex_status(**fields: dict) -> dict:
    status = observed_status(conditions=plain_conditions("lastUpdateTime"), secretRef=_secret_reference, **fields)
    status["required"] = ["conditions", "observedGeneration"]
    return status


CONTROL_PLANE = custom_resource_definition(
    GROUP, "ControlPlane", "controlplanes", version=VERSION, namespaced=False, short_names=("cp", "cps"),
    columns=_COLUMNS,
    schema=resource_root(
        spec=obj({
            "type": string(enum=list(CONTROL_PLANE_TYPES)),
            "backend": string(enum=["shared", "dedicated"]),
            "bootstrapSecretRef": obj({"inClusterKey": string(), "name": string(), "namespace": string()},
                                      required=("inClusterKey", "name", "namespace")),
            "globalVars": string_map(),
            "postCreateHook": string(),
            "postCreateHookVars": string_map(),
            "postCreateHooks": array(obj({"hookName": string(), "vars": string_map()}, required=("hookName",))),
            "tokenExpirationSeconds": integer(default=31536000),
            "waitForPostCreateHooks": boolean(default=False),
        }, required=("type",)),
        status=_kflex_status(postCreateHookCompleted=boolean(), postCreateHooks=string_map(boolean())),
    ),
)

POST_CREATE_HOOK = custom_resource_definition(
    GROUP, "PostCreateHook", "postcreatehooks", version=VERSION, namespaced=False, short_names=("pch", "pchs"),
    columns=_COLUMNS,
    schema=resource_root(
        spec=obj({
            "defaultVars": array(obj({"name": string(), "value": string()}, required=("name", "value"))),
            "templates": array(embedded_object()),
        }),
        status=_kflex_status(),
    ),
)

HOSTING_CRDS = (CONTROL_PLANE, POST_CREATE_HOOK)
