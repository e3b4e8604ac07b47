"""Field tables for networking.k8s.io/v1 Ingress."""

MESSAGES: dict[str, tuple[str, ...]] = {
    "networking.v1.Ingress": (
        "1 metadata meta.v1.ObjectMeta",
        "2 spec networking.v1.IngressSpec",
        "3 status networking.v1.IngressStatus",
    ),
    "networking.v1.IngressSpec": (
        "4 ingressClassName *string,omitempty",
        "1 defaultBackend *networking.v1.IngressBackend,omitempty",
        "2 tls []networking.v1.IngressTLS,omitempty",
        "3 rules []networking.v1.IngressRule,omitempty",
    ),
    "networking.v1.IngressStatus": (
        "1 loadBalancer networking.v1.IngressLoadBalancerStatus",
    ),
    "networking.v1.IngressBackend": (
        "4 service *networking.v1.IngressServiceBackend,omitempty",
        "3 resource *core.v1.TypedLocalObjectReference,omitempty",
    ),
    "networking.v1.IngressTLS": (
        "1 hosts []string,omitempty",
        "2 secretName string,omitempty",
    ),
    "networking.v1.IngressRule": (
        "1 host string,omitempty",
        "2 ingressRuleValue networking.v1.IngressRuleValue,inline",
    ),
    "networking.v1.IngressLoadBalancerStatus": (
        "1 ingress []networking.v1.IngressLoadBalancerIngress,omitempty",
    ),
    "networking.v1.IngressServiceBackend": (
        "1 name string",
        "2 port networking.v1.ServiceBackendPort",
    ),
    "networking.v1.IngressRuleValue": (
        "1 http *networking.v1.HTTPIngressRuleValue,omitempty",
    ),
    "networking.v1.IngressLoadBalancerIngress": (
        "1 ip string,omitempty",
        "2 hostname string,omitempty",
        "4 ports []networking.v1.IngressPortStatus,omitempty",
    ),
    "networking.v1.ServiceBackendPort": (
        "1 name string,omitempty",
        "2 number int32,omitempty",
    ),
    "networking.v1.HTTPIngressRuleValue": (
        "1 paths []networking.v1.HTTPIngressPath",
    ),
    "networking.v1.IngressPortStatus": (
        "1 port int32",
        "2 protocol string",
        "3 error *string,omitempty",
    ),
    "networking.v1.HTTPIngressPath": (
        "1 path string,omitempty",
        "3 pathType *string",
        "2 backend networking.v1.IngressBackend",
    ),
}

KINDS = {("networking.k8s.io/v1", "Ingress"): "networking.v1.Ingress"}
