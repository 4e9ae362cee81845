//! Deprecated and removed API versions: which `apiVersion` + `kind` a Kubernetes
//! version no longer serves (or will soon stop serving), and what replaces it.
//! From the Kubernetes deprecated API migration guide.

/// One deprecated API: (apiVersion, kind, deprecated in, removed in, replacement).
/// `removed` is `None` for APIs deprecated without a removal date.
pub struct Deprecation {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub deprecated: &'static str,
    pub removed: Option<&'static str>,
    /// The apiVersion to use instead, or what to do.
    pub replacement: &'static str,
}

const fn d(
    api_version: &'static str,
    kind: &'static str,
    deprecated: &'static str,
    removed: Option<&'static str>,
    replacement: &'static str,
) -> Deprecation {
    Deprecation {
        api_version,
        kind,
        deprecated,
        removed,
        replacement,
    }
}

/// The table, by apiVersion then kind.
pub const TABLE: &[Deprecation] = &[
    d(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        "1.16",
        Some("1.22"),
        "admissionregistration.k8s.io/v1",
    ),
    d(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        "1.16",
        Some("1.22"),
        "admissionregistration.k8s.io/v1",
    ),
    d(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        "1.16",
        Some("1.22"),
        "apiextensions.k8s.io/v1",
    ),
    d(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        "1.19",
        Some("1.22"),
        "apiregistration.k8s.io/v1",
    ),
    d("apps/v1beta1", "Deployment", "1.9", Some("1.16"), "apps/v1"),
    d(
        "apps/v1beta1",
        "StatefulSet",
        "1.9",
        Some("1.16"),
        "apps/v1",
    ),
    d("apps/v1beta2", "DaemonSet", "1.9", Some("1.16"), "apps/v1"),
    d("apps/v1beta2", "Deployment", "1.9", Some("1.16"), "apps/v1"),
    d("apps/v1beta2", "ReplicaSet", "1.9", Some("1.16"), "apps/v1"),
    d(
        "apps/v1beta2",
        "StatefulSet",
        "1.9",
        Some("1.16"),
        "apps/v1",
    ),
    d(
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        "1.19",
        Some("1.22"),
        "authentication.k8s.io/v1",
    ),
    d(
        "authorization.k8s.io/v1beta1",
        "SubjectAccessReview",
        "1.19",
        Some("1.22"),
        "authorization.k8s.io/v1",
    ),
    d(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        "1.22",
        Some("1.25"),
        "autoscaling/v2",
    ),
    d(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        "1.23",
        Some("1.26"),
        "autoscaling/v2",
    ),
    d("batch/v1beta1", "CronJob", "1.21", Some("1.25"), "batch/v1"),
    d(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        "1.19",
        Some("1.22"),
        "certificates.k8s.io/v1",
    ),
    d(
        "coordination.k8s.io/v1beta1",
        "Lease",
        "1.19",
        Some("1.22"),
        "coordination.k8s.io/v1",
    ),
    d(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        "1.21",
        Some("1.25"),
        "discovery.k8s.io/v1",
    ),
    d(
        "events.k8s.io/v1beta1",
        "Event",
        "1.22",
        Some("1.25"),
        "events.k8s.io/v1",
    ),
    d(
        "extensions/v1beta1",
        "DaemonSet",
        "1.9",
        Some("1.16"),
        "apps/v1",
    ),
    d(
        "extensions/v1beta1",
        "Deployment",
        "1.9",
        Some("1.16"),
        "apps/v1",
    ),
    d(
        "extensions/v1beta1",
        "Ingress",
        "1.14",
        Some("1.22"),
        "networking.k8s.io/v1",
    ),
    d(
        "extensions/v1beta1",
        "NetworkPolicy",
        "1.9",
        Some("1.16"),
        "networking.k8s.io/v1",
    ),
    d(
        "extensions/v1beta1",
        "PodSecurityPolicy",
        "1.10",
        Some("1.16"),
        "Pod Security Admission (no replacement API)",
    ),
    d(
        "extensions/v1beta1",
        "ReplicaSet",
        "1.9",
        Some("1.16"),
        "apps/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema",
        "1.23",
        Some("1.26"),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        "1.23",
        Some("1.26"),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        "1.26",
        Some("1.29"),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        "1.26",
        Some("1.29"),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        "1.29",
        Some("1.32"),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        "1.29",
        Some("1.32"),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "networking.k8s.io/v1beta1",
        "Ingress",
        "1.19",
        Some("1.22"),
        "networking.k8s.io/v1",
    ),
    d(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        "1.19",
        Some("1.22"),
        "networking.k8s.io/v1",
    ),
    d(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        "1.20",
        Some("1.25"),
        "node.k8s.io/v1",
    ),
    d(
        "policy/v1beta1",
        "PodDisruptionBudget",
        "1.21",
        Some("1.25"),
        "policy/v1",
    ),
    d(
        "policy/v1beta1",
        "PodSecurityPolicy",
        "1.21",
        Some("1.25"),
        "Pod Security Admission (no replacement API)",
    ),
    d(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        "1.17",
        Some("1.22"),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        "1.17",
        Some("1.22"),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io/v1beta1",
        "Role",
        "1.17",
        Some("1.22"),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        "1.17",
        Some("1.22"),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        "1.14",
        Some("1.22"),
        "scheduling.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        "1.19",
        Some("1.22"),
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "CSINode",
        "1.17",
        Some("1.22"),
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        "1.24",
        Some("1.27"),
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        "1.19",
        Some("1.22"),
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        "1.19",
        Some("1.22"),
        "storage.k8s.io/v1",
    ),
    d(
        "v1",
        "ComponentStatus",
        "1.19",
        None,
        "nothing (read component health from the components' own endpoints)",
    ),
    d(
        "v1",
        "Endpoints",
        "1.33",
        None,
        "discovery.k8s.io/v1 EndpointSlice",
    ),
];

/// A `1.33`-style version as a comparable pair.
fn parse(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|p| p.parse().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// What the table says about `apiVersion` + `kind` at Kubernetes `version`:
/// `Some((removed?, entry))` when it is deprecated or removed by then.
pub fn lookup(
    api_version: &str,
    kind: &str,
    version: &str,
) -> Option<(bool, &'static Deprecation)> {
    let at = parse(version);
    let e = TABLE
        .iter()
        .find(|e| e.api_version == api_version && e.kind == kind)?;
    if e.removed.is_some_and(|r| at >= parse(r)) {
        Some((true, e))
    } else if at >= parse(e.deprecated) {
        Some((false, e))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deprecated_then_removed() {
        assert!(lookup("policy/v1beta1", "PodDisruptionBudget", "1.20").is_none());
        assert!(
            !lookup("policy/v1beta1", "PodDisruptionBudget", "1.21")
                .unwrap()
                .0
        );
        assert!(
            lookup("policy/v1beta1", "PodDisruptionBudget", "1.33")
                .unwrap()
                .0
        );
        assert!(!lookup("v1", "Endpoints", "1.33").unwrap().0);
        assert!(lookup("v1", "Endpoints", "1.32").is_none());
        assert!(lookup("apps/v1", "Deployment", "1.33").is_none());
    }
}
