//! Facts about built-in Kubernetes kinds that the engine needs: which are
//! cluster-scoped.

use crate::kustomize::resource::Gvk;

/// (apiVersion, kind) of the built-in kinds that are not namespaced, as kustomize
/// v5.5 knows them. Every other kind, including every kind of an unknown group or
/// version, is taken as namespaced, as kustomize takes it: its answer decides
/// where `namespace` applies, so ours must be the same list, not today's API.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
    ),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("v1", "ComponentStatus"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "NodeProxyOptions"),
    ("v1", "PersistentVolume"),
];

pub fn is_cluster_scoped(gvk: &Gvk) -> bool {
    let api_version = gvk.api_version();
    CLUSTER_SCOPED
        .binary_search(&(api_version.as_str(), gvk.kind.as_str()))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_scoped_list_is_sorted_for_binary_search() {
        let mut sorted = CLUSTER_SCOPED.to_vec();
        sorted.sort();
        assert_eq!(sorted, CLUSTER_SCOPED);
    }

    #[test]
    fn scope_depends_on_group_and_version_too() {
        assert!(is_cluster_scoped(&Gvk::new("", "v1", "Namespace")));
        assert!(is_cluster_scoped(&Gvk::new(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole"
        )));
        assert!(!is_cluster_scoped(&Gvk::new(
            "example.com",
            "v1",
            "Namespace"
        )));
        assert!(!is_cluster_scoped(&Gvk::new(
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingAdmissionPolicy"
        )));
        assert!(!is_cluster_scoped(&Gvk::new("apps", "v1", "Deployment")));
    }
}
