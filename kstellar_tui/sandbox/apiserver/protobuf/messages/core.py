"""Field tables for the core/v1 kinds other than Pod that `kubectl create` sends."""

MESSAGES: dict[str, tuple[str, ...]] = {
    "core.v1.Namespace": (
        "1 metadata meta.v1.ObjectMeta",
        "2 spec core.v1.NamespaceSpec",
        "3 status core.v1.NamespaceStatus",
    ),
    "core.v1.ConfigMap": (
        "1 metadata meta.v1.ObjectMeta",
        "4 immutable *bool,omitempty",
        "2 data map[string]string,omitempty",
        "3 binaryData map[string]bytes,omitempty",
    ),
    "core.v1.Secret": (
        "1 metadata meta.v1.ObjectMeta",
        "5 immutable *bool,omitempty",
        "2 data map[string]bytes,omitempty",
        "4 stringData map[string]string,omitempty",
        "3 type string,omitempty",
    ),
    "core.v1.Service": (
        "1 metadata meta.v1.ObjectMeta",
        "2 spec core.v1.ServiceSpec",
        "3 status core.v1.ServiceStatus",
    ),
    "core.v1.ServiceAccount": (
        "1 metadata meta.v1.ObjectMeta",
        "2 secrets []core.v1.ObjectReference,omitempty",
        "3 imagePullSecrets []core.v1.LocalObjectReference,omitempty",
        "4 automountServiceAccountToken *bool,omitempty",
    ),
    "core.v1.ResourceQuota": (
        "1 metadata meta.v1.ObjectMeta",
        "2 spec core.v1.ResourceQuotaSpec",
        "3 status core.v1.ResourceQuotaStatus",
    ),
    "core.v1.NamespaceSpec": (
        "1 finalizers []string,omitempty",
    ),
    "core.v1.NamespaceStatus": (
        "1 phase string,omitempty",
        "2 conditions []core.v1.NamespaceCondition,omitempty",
    ),
    "core.v1.ServiceSpec": (
        "1 ports []core.v1.ServicePort,omitempty",
        "2 selector map[string]string,omitempty",
        "3 clusterIP string,omitempty",
        "18 clusterIPs []string,omitempty",
        "4 type string,omitempty",
        "5 externalIPs []string,omitempty",
        "7 sessionAffinity string,omitempty",
        "8 loadBalancerIP string,omitempty",
        "9 loadBalancerSourceRanges []string,omitempty",
        "10 externalName string,omitempty",
        "11 externalTrafficPolicy string,omitempty",
        "12 healthCheckNodePort int32,omitempty",
        "13 publishNotReadyAddresses bool,omitempty",
        "14 sessionAffinityConfig *core.v1.SessionAffinityConfig,omitempty",
        "19 ipFamilies []string,omitempty",
        "17 ipFamilyPolicy *string,omitempty",
        "20 allocateLoadBalancerNodePorts *bool,omitempty",
        "21 loadBalancerClass *string,omitempty",
        "22 internalTrafficPolicy *string,omitempty",
        "23 trafficDistribution *string,omitempty",
    ),
    "core.v1.ServiceStatus": (
        "1 loadBalancer core.v1.LoadBalancerStatus",
        "2 conditions []meta.v1.Condition,omitempty",
    ),
    "core.v1.ObjectReference": (
        "1 kind string,omitempty",
        "2 namespace string,omitempty",
        "3 name string,omitempty",
        "4 uid string,omitempty",
        "5 apiVersion string,omitempty",
        "6 resourceVersion string,omitempty",
        "7 fieldPath string,omitempty",
    ),
    "core.v1.ResourceQuotaSpec": (
        "1 hard map[string]Quantity,omitempty",
        "2 scopes []string,omitempty",
        "3 scopeSelector *core.v1.ScopeSelector,omitempty",
    ),
    "core.v1.ResourceQuotaStatus": (
        "1 hard map[string]Quantity,omitempty",
        "2 used map[string]Quantity,omitempty",
    ),
    "core.v1.NamespaceCondition": (
        "1 type string",
        "2 status string",
        "4 lastTransitionTime Time",
        "5 reason string,omitempty",
        "6 message string,omitempty",
    ),
    "core.v1.ServicePort": (
        "1 name string,omitempty",
        "2 protocol string,omitempty",
        "6 appProtocol *string,omitempty",
        "3 port int32",
        "4 targetPort IntOrString",
        "5 nodePort int32,omitempty",
    ),
    "core.v1.SessionAffinityConfig": (
        "1 clientIP *core.v1.ClientIPConfig,omitempty",
    ),
    "core.v1.LoadBalancerStatus": (
        "1 ingress []core.v1.LoadBalancerIngress,omitempty",
    ),
    "core.v1.ScopeSelector": (
        "1 matchExpressions []core.v1.ScopedResourceSelectorRequirement,omitempty",
    ),
    "core.v1.PodTemplateSpec": (
        "1 metadata meta.v1.ObjectMeta",
        "2 spec core.v1.PodSpec",
    ),
    "core.v1.ClientIPConfig": (
        "1 timeoutSeconds *int32,omitempty",
    ),
    "core.v1.LoadBalancerIngress": (
        "1 ip string,omitempty",
        "2 hostname string,omitempty",
        "3 ipMode *string,omitempty",
        "4 ports []core.v1.PortStatus,omitempty",
    ),
    "core.v1.ScopedResourceSelectorRequirement": (
        "1 scopeName string",
        "2 operator string",
        "3 values []string,omitempty",
    ),
    "core.v1.PortStatus": (
        "1 port int32",
        "2 protocol string",
        "3 error *string,omitempty",
    ),
}

KINDS = {
    ("v1", "Namespace"): "core.v1.Namespace",
    ("v1", "ConfigMap"): "core.v1.ConfigMap",
    ("v1", "Secret"): "core.v1.Secret",
    ("v1", "Service"): "core.v1.Service",
    ("v1", "ServiceAccount"): "core.v1.ServiceAccount",
    ("v1", "ResourceQuota"): "core.v1.ResourceQuota",
}
