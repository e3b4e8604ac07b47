"""Open Cluster Management kinds as KubeStellar 0.30.0 meets them (clusteradm 1.0, OCM API v1).

The hub kinds live in the ITS (installed by `clusteradm init`, i.e. the its-hub-init job); the
agent kinds live in each WEC (installed by `clusteradm join`). Kinds the TUI and the controllers
read closely are described field by field; the rest keep their top-level shape and let unknown
fields through (x-kubernetes-preserve-unknown-fields)."""

from __future__ import annotations

from kstellar_tui.sandbox.definitions.crd import column, custom_resource_definition
from kstellar_tui.sandbox.definitions.schema import (
    CONDITION_TYPE_PATTERN, DNS1123_LABEL_PATTERN, DNS1123_SUBDOMAIN_PATTERN, array, boolean, embedded_object,
    free_form, integer, label_selector, list_map, metav1_conditions, obj, resource_root, string, string_map, strings,
)

CLUSTER_GROUP = "cluster.open-cluster-management.io"
WORK_GROUP = "work.open-cluster-management.io"
ADDON_GROUP = "addon.open-cluster-management.io"
OPERATOR_GROUP = "operator.open-cluster-management.io"


def _condition_column(name: str, condition_type: str) -> dict[str, str]:
    return column(name, f'.status.conditions[?(@.type=="{condition_type}")].status')


_quantity = {
    "anyOf": [{"type": "integer"}, {"type": "string"}],
    "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?"
               r"(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
    "x-kubernetes-int-or-string": True,
}

MANAGED_CLUSTER = custom_resource_definition(
    CLUSTER_GROUP, "ManagedCluster", "managedclusters", version="v1", namespaced=False,
    short_names=("mcl", "mcls"),
    columns=(
        column("Hub Accepted", ".spec.hubAcceptsClient", "boolean"),
        column("Managed Cluster URLs", ".spec.managedClusterClientConfigs[*].url"),
        _condition_column("Joined", "ManagedClusterJoined"),
        _condition_column("Available", "ManagedClusterConditionAvailable"),
        column("Age", ".metadata.creationTimestamp", "date"),
    ),
    schema=resource_root(
        spec=obj({
            "hubAcceptsClient": boolean(),
            "leaseDurationSeconds": integer("int32", default=60),
            "managedClusterClientConfigs": array(obj({"caBundle": string(format="byte"), "url": string()},
                                                     required=("url",))),
            "taints": array(obj({
                "effect": string(enum=["NoSelect", "PreferNoSelect", "NoSelectIfNew"]),
                "key": string(maxLength=316, pattern=CONDITION_TYPE_PATTERN),
                "timeAdded": string(format="date-time", nullable=True),
                "value": string(maxLength=1024),
            }, required=("effect", "key"))),
        }),
        status=obj({
            "allocatable": obj(additionalProperties=_quantity),
            "capacity": obj(additionalProperties=_quantity),
            "clusterClaims": array(obj({"name": string(maxLength=253, minLength=1),
                                        "value": string(maxLength=1024, minLength=1)})),
            "conditions": metav1_conditions(),
            "managedNamespaces": list_map(obj({
                "clusterSet": string(),
                "conditions": metav1_conditions(),
                "name": string(maxLength=63, pattern=DNS1123_LABEL_PATTERN),
            }, required=("clusterSet", "name")), "clusterSet", "name"),
            "version": obj({"kubernetes": string()}),
        }),
    ),
)

MANAGED_CLUSTER_SET = custom_resource_definition(
    CLUSTER_GROUP, "ManagedClusterSet", "managedclustersets", version="v1beta2", namespaced=False,
    short_names=("mclset", "mclsets"),
    columns=(_condition_column("Empty", "ClusterSetEmpty"), column("Age", ".metadata.creationTimestamp", "date")),
    schema=resource_root(
        spec=obj({"clusterSelector": obj({
            "selectorType": string(default="ExclusiveClusterSetLabel",
                                   enum=["ExclusiveClusterSetLabel", "LabelSelector"]),
            "labelSelector": label_selector(),
        })}),
        status=obj({"conditions": metav1_conditions()}),
    ),
)

MANAGED_CLUSTER_SET_BINDING = custom_resource_definition(
    CLUSTER_GROUP, "ManagedClusterSetBinding", "managedclustersetbindings", version="v1beta2", namespaced=True,
    short_names=("mclsetbinding", "mclsetbindings"),
    schema=resource_root(
        required=("spec",),
        spec=obj({"clusterSet": string(minLength=1)}),
        status=obj({"conditions": metav1_conditions()}),
    ),
)

PLACEMENT = custom_resource_definition(
    CLUSTER_GROUP, "Placement", "placements", version="v1beta1", namespaced=True,
    columns=(
        _condition_column("Succeeded", "PlacementSatisfied"),
        column("Reason", '.status.conditions[?(@.type=="PlacementSatisfied")].reason'),
        column("SelectedClusters", ".status.numberOfSelectedClusters", "integer"),
    ),
    schema=resource_root(
        required=("spec",),
        spec=obj({"clusterSets": strings(), "numberOfClusters": integer("int32")},
                 **{"x-kubernetes-preserve-unknown-fields": True}),
        status=obj({"conditions": metav1_conditions(), "numberOfSelectedClusters": integer("int32")},
                   **{"x-kubernetes-preserve-unknown-fields": True}),
    ),
)

PLACEMENT_DECISION = custom_resource_definition(
    CLUSTER_GROUP, "PlacementDecision", "placementdecisions", version="v1beta1", namespaced=True,
    schema=resource_root(status=obj({"decisions": array(obj({"clusterName": string(), "reason": string()},
                                                            required=("clusterName", "reason")))})),
)

_resource_identifier = obj({"group": string(), "name": string(), "namespace": string(), "resource": string()},
                           required=("name", "resource"))

MANIFEST_WORK = custom_resource_definition(
    WORK_GROUP, "ManifestWork", "manifestworks", version="v1", namespaced=True,
    schema=resource_root(
        spec=obj({
            "deleteOption": obj({
                "propagationPolicy": string(default="Foreground", enum=["Foreground", "Orphan", "SelectivelyOrphan"]),
                "selectivelyOrphans": obj({"orphaningRules": array(_resource_identifier)}),
                "ttlSecondsAfterFinished": integer(),
            }),
            "executor": obj({"subject": obj({
                "type": string(enum=["ServiceAccount"]),
                "serviceAccount": obj({key: string(maxLength=253, minLength=1, pattern=DNS1123_SUBDOMAIN_PATTERN)
                                       for key in ("name", "namespace")}, required=("name", "namespace")),
            }, required=("type",))}),
            "manifestConfigs": array(obj({
                "resourceIdentifier": _resource_identifier,
                "feedbackRules": array(free_form()),
                "feedbackScrapeType": string(default="Poll", enum=["Poll", "Watch"]),
                "conditionRules": list_map(free_form(), "condition"),
                "updateStrategy": obj({
                    "type": string(default="Update", enum=["Update", "CreateOnly", "ServerSideApply", "ReadOnly"]),
                    "serverSideApply": free_form(),
                }, required=("type",)),
            }, required=("resourceIdentifier",))),
            "workload": obj({"manifests": array(embedded_object())}),
        }),
        status=obj({
            "conditions": metav1_conditions(),
            "resourceStatus": obj({"manifests": array(obj({
                "conditions": metav1_conditions(),
                "resourceMeta": obj({
                    "group": string(), "kind": string(), "name": string(), "namespace": string(),
                    "ordinal": integer("int32"), "resource": string(), "version": string(),
                }, required=("ordinal",)),
                "statusFeedback": free_form(),
            }, required=("conditions", "resourceMeta")))}),
        }),
    ),
)

APPLIED_MANIFEST_WORK = custom_resource_definition(
    WORK_GROUP, "AppliedManifestWork", "appliedmanifestworks", version="v1", namespaced=False,
    schema=resource_root(
        spec=obj({"agentID": string(), "hubHash": string(), "manifestWorkName": string()},
                 required=("hubHash", "manifestWorkName")),
        status=obj({
            "appliedResources": array(obj({name: string() for name in
                                           ("group", "name", "namespace", "resource", "uid", "version")},
                                          required=("name", "resource", "version"))),
            "evictionStartTime": string(format="date-time"),
        }),
    ),
)

_SIGNER_PATTERN = r"^([a-z0-9][a-z0-9-]*[a-z0-9]\.)+[a-z]+\/[a-z0-9-\.]+$"

_config_reference = obj({"group": string(default=""), "name": string(minLength=1), "namespace": string(),
                         "resource": string(minLength=1)}, required=("name", "resource"))

MANAGED_CLUSTER_ADDON = custom_resource_definition(
    ADDON_GROUP, "ManagedClusterAddOn", "managedclusteraddons", version="v1alpha1", namespaced=True,
    short_names=("mca", "mcas"),
    columns=(_condition_column("Available", "Available"), _condition_column("Degraded", "Degraded"),
             _condition_column("Progressing", "Progressing")),
    schema=resource_root(
        required=("spec",),
        spec=obj({
            "configs": array(_config_reference),
            "installNamespace": string(default="open-cluster-management-agent-addon", maxLength=63,
                                       pattern=DNS1123_LABEL_PATTERN),
        }),
        status=obj({
            "addOnConfiguration": free_form(),
            "addOnMeta": obj({"displayName": string(), "description": string()}),
            "conditions": metav1_conditions(),
            "configReferences": array(free_form()),
            "healthCheck": obj({"mode": string(default="Lease", enum=["Lease", "Customized"])}),
            "kubeClientDriver": string(enum=["csr", "token"]),
            "namespace": string(),
            "registrations": array(obj({"signerName": string(minLength=5, maxLength=571, pattern=_SIGNER_PATTERN),
                                        "subject": free_form()}, required=("signerName",))),
            "relatedObjects": array(obj({"group": string(), "name": string(), "namespace": string(),
                                         "resource": string()}, required=("group", "name", "resource"))),
            "supportedConfigs": list_map(obj({"group": string(default=""), "resource": string(minLength=1)},
                                             required=("resource",)), "group", "resource"),
        }),
    ),
)

CLUSTER_MANAGEMENT_ADDON = custom_resource_definition(
    ADDON_GROUP, "ClusterManagementAddOn", "clustermanagementaddons", version="v1alpha1", namespaced=False,
    short_names=("cma", "cmas"),
    columns=(column("DISPLAY NAME", ".spec.addOnMeta.displayName"),
             column("CRD NAME", ".spec.addOnConfiguration.crdName")),
    schema=resource_root(
        spec=obj({
            "addOnMeta": obj({"displayName": string(), "description": string()}),
            "addOnConfiguration": free_form(),
            "supportedConfigs": array(free_form()),
            "installStrategy": obj({
                "type": string(default="Manual", enum=["Manual", "Placements"]),
                "placements": array(obj({"name": string(minLength=1), "namespace": string()},
                                        required=("name", "namespace"),
                                        **{"x-kubernetes-preserve-unknown-fields": True})),
            }),
        }),
        status=free_form(),
    ),
)

_operator_status = obj({"conditions": metav1_conditions(), "observedGeneration": integer()},
                       **{"x-kubernetes-preserve-unknown-fields": True})

CLUSTER_MANAGER = custom_resource_definition(
    OPERATOR_GROUP, "ClusterManager", "clustermanagers", version="v1", namespaced=False,
    schema=resource_root(spec=free_form(), status=_operator_status),
)

KLUSTERLET = custom_resource_definition(
    OPERATOR_GROUP, "Klusterlet", "klusterlets", version="v1", namespaced=False,
    schema=resource_root(
        spec=obj({
            "clusterName": string(maxLength=63, pattern=DNS1123_LABEL_PATTERN),
            "namespace": string(maxLength=63),
            "deployOption": obj({"mode": string()}, **{"x-kubernetes-preserve-unknown-fields": True}),
            "externalServerURLs": array(obj({"url": string(), "caBundle": string(format="byte")})),
            "imagePullSpec": string(),
            "registrationImagePullSpec": string(),
            "workImagePullSpec": string(),
            "registrationConfiguration": free_form(),
            "workConfiguration": free_form(),
            "nodePlacement": obj({"nodeSelector": string_map()}, **{"x-kubernetes-preserve-unknown-fields": True}),
        }),
        status=_operator_status,
    ),
)

# `clusteradm init` (the its-hub-init job) installs the hub kinds into the ITS.
HUB_CRDS = (MANAGED_CLUSTER, MANAGED_CLUSTER_SET, MANAGED_CLUSTER_SET_BINDING, PLACEMENT, PLACEMENT_DECISION,
            MANIFEST_WORK, MANAGED_CLUSTER_ADDON, CLUSTER_MANAGEMENT_ADDON, CLUSTER_MANAGER)
# `clusteradm join` installs the agent kinds into the WEC.
AGENT_CRDS = (KLUSTERLET, APPLIED_MANIFEST_WORK)
