//! Facts about built-in Kubernetes kinds that the engine needs: scope and output order.

use crate::engine::resource::Gvk;

/// Built-in kinds that are not namespaced. Custom kinds are taken as namespaced,
/// as kustomize does without a schema for them.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterTrustBundle",
    "ComponentStatus",
    "CustomResourceDefinition",
    "DeviceClass",
    "FlowSchema",
    "IPAddress",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectReview",
    "SelfSubjectRulesReview",
    "ServiceCIDR",
    "StorageClass",
    "StorageVersionMigration",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeAttributesClass",
];

pub fn is_cluster_scoped(gvk: &Gvk) -> bool {
    CLUSTER_SCOPED.binary_search(&gvk.kind.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn cluster_scoped_list_is_sorted_for_binary_search() {
        let mut sorted = super::CLUSTER_SCOPED.to_vec();
        sorted.sort();
        assert_eq!(sorted, super::CLUSTER_SCOPED);
    }
}
