"""Field tables for rbac.authorization.k8s.io/v1 kinds and certificates.k8s.io/v1 CertificateSigningRequest
(the whole object, which `kubectl certificate approve` PUTs back)."""

MESSAGES: dict[str, tuple[str, ...]] = {
    "rbac.v1.Role": (
        "1 metadata meta.v1.ObjectMeta",
        "2 rules []rbac.v1.PolicyRule",
    ),
    "rbac.v1.RoleBinding": (
        "1 metadata meta.v1.ObjectMeta",
        "2 subjects []rbac.v1.Subject,omitempty",
        "3 roleRef rbac.v1.RoleRef",
    ),
    "rbac.v1.ClusterRole": (
        "1 metadata meta.v1.ObjectMeta",
        "2 rules []rbac.v1.PolicyRule",
        "3 aggregationRule *rbac.v1.AggregationRule,omitempty",
    ),
    "rbac.v1.ClusterRoleBinding": (
        "1 metadata meta.v1.ObjectMeta",
        "2 subjects []rbac.v1.Subject,omitempty",
        "3 roleRef rbac.v1.RoleRef",
    ),
    "certificates.v1.CertificateSigningRequest": (
        "1 metadata meta.v1.ObjectMeta",
        "2 spec certificates.v1.CertificateSigningRequestSpec",
        "3 status certificates.v1.CertificateSigningRequestStatus",
    ),
    "rbac.v1.PolicyRule": (
        "1 verbs []string",
        "2 apiGroups []string,omitempty",
        "3 resources []string,omitempty",
        "4 resourceNames []string,omitempty",
        "5 nonResourceURLs []string,omitempty",
    ),
    "rbac.v1.Subject": (
        "1 kind string",
        "2 apiGroup string,omitempty",
        "3 name string",
        "4 namespace string,omitempty",
    ),
    "rbac.v1.RoleRef": (
        "1 apiGroup string",
        "2 kind string",
        "3 name string",
    ),
    "rbac.v1.AggregationRule": (
        "1 clusterRoleSelectors []meta.v1.LabelSelector,omitempty",
    ),
    "certificates.v1.CertificateSigningRequestSpec": (
        "1 request bytes",
        "7 signerName string",
        "8 expirationSeconds *int32,omitempty",
        "5 usages []string,omitempty",
        "2 username string,omitempty",
        "3 uid string,omitempty",
        "4 groups []string,omitempty",
        "6 extra map[string][]string,omitempty",
    ),
    "certificates.v1.CertificateSigningRequestStatus": (
        "1 conditions []certificates.v1.CertificateSigningRequestCondition,omitempty",
        "2 certificate bytes,omitempty",
    ),
    "certificates.v1.CertificateSigningRequestCondition": (
        "1 type string",
        "6 status string",
        "2 reason string,omitempty",
        "3 message string,omitempty",
        "4 lastUpdateTime Time",
        "5 lastTransitionTime Time",
    ),
}

KINDS = {
    ("rbac.authorization.k8s.io/v1", "Role"): "rbac.v1.Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "rbac.v1.RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "rbac.v1.ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "rbac.v1.ClusterRoleBinding",
    ("certificates.k8s.io/v1", "CertificateSigningRequest"): "certificates.v1.CertificateSigningRequest",
}
