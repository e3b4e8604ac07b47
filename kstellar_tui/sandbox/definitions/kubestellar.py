"""KubeStellar's own kinds (`control.kubestellar.io/v1alpha1`): the WDS API and the ITS WorkStatus.

Shapes follow KubeStellar 0.30.0's API and its extra BindingPolicy validations: every downsync
clause must carry at least one test field, and cluster-selector labels and operators are
pattern-checked (namespace and object selectors are not, as upstream)."""

from __future__ import annotations

from kstellar_tui.sandbox.definitions.crd import AGE_UPPER, column, custom_resource_definition
from kstellar_tui.sandbox.definitions.schema import (
    array, boolean, free_form, integer, label_selector, list_map, obj, observed_status,
    plain_conditions, resource_root, string, strings,
)

GROUP = "control.kubestellar.io"
VERSION = "v1alpha1"

# The six test fields of a DownsyncPolicyClause; the CRD demands at least one of them.
CLAUSE_TEST_FIELDS = ("apiGroup", "resources", "namespaces", "namespaceSelectors", "objectSelectors", "objectNames")

_MODULATION = {
    "createOnly": boolean(),
    "statusCollectors": strings(),
    "wantMultiWECReportedState": boolean(),
    "wantSingletonReportedState": boolean(),
}

_downsync_clause = obj(
    {
        "apiGroup": string(),
        "resources": strings(),
        "namespaces": strings(),
        "namespaceSelectors": array(label_selector()),
        "objectSelectors": array(label_selector()),
        "objectNames": strings(),
        **_MODULATION,
    },
    anyOf=[{"required": [name]} for name in CLAUSE_TEST_FIELDS],
)

_kubestellar_status = observed_status(conditions=plain_conditions(), errors=strings())

BINDING_POLICY = custom_resource_definition(
    GROUP, "BindingPolicy", "bindingpolicies", version=VERSION, namespaced=False, short_names=("bp",),
    columns=(
        column("SYNCED", ".status.conditions[?(@.type=='Synced')].status"),
        column("READY", ".status.conditions[?(@.type=='Ready')].status"),
        column("TYPE", ".spec.type"),
        AGE_UPPER,
    ),
    schema=resource_root(
        spec=obj({"clusterSelectors": array(label_selector(validated=True)),
                  "downsync": array(_downsync_clause)}),
        status=_kubestellar_status,
    ),
)


def _workload_reference(*identity: str) -> dict:
    fields = {name: string() for name in (*identity, "resourceVersion", "version")}
    return obj({**fields, **_MODULATION}, required=tuple(sorted(fields)))


BINDING = custom_resource_definition(
    GROUP, "Binding", "bindings", version=VERSION, namespaced=False, short_names=("bdg",),
    schema=resource_root(
        spec=obj({
            "destinations": list_map(obj({"clusterId": string()}, required=("clusterId",)), "clusterId"),
            "workload": obj({
                "clusterScope": list_map(_workload_reference("group", "name", "resource"),
                                         "group", "resource", "name"),
                "namespaceScope": list_map(_workload_reference("group", "name", "namespace", "resource"),
                                           "group", "resource", "namespace", "name"),
            }),
        }),
        status=_kubestellar_status,
    ),
)

_named_expression = obj({"def": string(), "name": string()}, required=("def", "name"))

STATUS_COLLECTOR = custom_resource_definition(
    GROUP, "StatusCollector", "statuscollectors", version=VERSION, namespaced=False, short_names=("sc",),
    schema=resource_root(
        spec=obj({
            "combinedFields": array(obj({"name": string(), "subject": string(), "type": string()},
                                        required=("name", "type"))),
            "filter": string(),
            "groupBy": array(_named_expression),
            "limit": integer(),
            "select": array(_named_expression),
        }, required=("limit",)),
        status=observed_status(errors=strings()),
    ),
)

_column_error = {"columnName": string(), "error": string()}

COMBINED_STATUS = custom_resource_definition(
    GROUP, "CombinedStatus", "combinedstatuses", version=VERSION, namespaced=True, short_names=("cs",),
    status_subresource=False,
    columns=tuple(
        column(name, f".metadata.labels['status\\.kubestellar\\.io/{label}']")
        for name, label in (("SUBJECT_GROUP", "api-group"), ("SUBJECT_RSC", "resource"),
                            ("SUBJECT_NS", "namespace"), ("SUBJECT_NAME", "name"),
                            ("BINDINGPOLICY", "binding-policy"))
    ),
    schema=resource_root(results=array(obj({
        "name": string(),
        "columnNames": strings(),
        "rows": array(obj({"columns": array(obj({
            "type": string(),
            "string": string(),
            "float": string(),
            "bool": boolean(),
            "object": {"x-kubernetes-preserve-unknown-fields": True},
            "array": {"x-kubernetes-preserve-unknown-fields": True},
        }, required=("type",)))}, required=("columns",))),
        "rowErrors": array(obj({**_column_error,
                                "wec": obj({"clusterId": string()}, required=("clusterId",))},
                               required=("columnName", "error", "wec"))),
        "aggregationErrors": array(obj(_column_error, required=("columnName", "error"))),
    }, required=("columnNames", "name")))),
)

CUSTOM_TRANSFORM = custom_resource_definition(
    GROUP, "CustomTransform", "customtransforms", version=VERSION, namespaced=False, short_names=("ct",),
    categories=("all",),
    columns=(column("SUBJECT_GROUP", ".spec.apiGroup"), column("SUBJECT_RESOURCE", ".spec.resource")),
    schema=resource_root(
        spec=obj({"apiGroup": string(), "resource": string(), "remove": strings()},
                 required=("apiGroup", "resource")),
        status=observed_status(errors=strings(), warnings=strings()),
    ),
)

WORK_STATUS = custom_resource_definition(
    GROUP, "WorkStatus", "workstatuses", version=VERSION, namespaced=True, short_names=("ws", "wss"),
    schema=resource_root(
        spec=obj({"sourceRef": obj({name: string() for name in
                                    ("group", "kind", "name", "namespace", "resource", "version")},
                                   required=("group", "namespace"))}),
        status=free_form(),
        statusDetails=obj({
            "lastCurrencyUpdateTime": string(format="date-time"),
            "lastGeneration": integer(),
            "lastGenerationIsApplied": boolean(),
        }, required=("lastCurrencyUpdateTime", "lastGeneration", "lastGenerationIsApplied")),
    ),
)

# What the kubestellar-controller-manager installs into its WDS.
WDS_CRDS = (BINDING_POLICY, BINDING, COMBINED_STATUS, CUSTOM_TRANSFORM, STATUS_COLLECTOR)

