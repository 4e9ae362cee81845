//! The name-reference table: which fields of which kinds hold the name of which
//! other kind (kustomize v5.5's `nameReference` defaults, re-expressed).
//!
//! Each entry is `((target kind, target apiVersion selector), &[(referrer kind,
//! referrer apiVersion selector, path)])`. A selector is `group/version`, where
//! either side may be empty to match anything (`apps/` = group `apps`, any version);
//! a selector without `/` is a version alone (`v1` = version `v1`, any group), and
//! `""` matches every apiVersion. The group is what precedes the *last* `/`.
//!
//! Paths are `/`-separated and walk through lists; `\/` is a `/` inside a key.
//! A path may end at a scalar (a name), at a mapping with `name` (and `namespace`),
//! or at a list of either.
//!
//! Order matters only where two targets share a field (`rules/resourceNames`): the
//! entries are in kustomize's own order (its Gvk sort: StorageClass, ServiceAccount,
//! Role, ClusterRole, ConfigMap, Secret, Service, ... then the other kinds by
//! group/version/kind), so chained renames resolve as in kustomize.

/// A target kind and the fields that name objects of it.
pub type BackReference = (
    (&'static str, &'static str),
    &'static [(&'static str, &'static str, &'static str)],
);

/// kustomize's default name back-references, in kustomize's order.
pub const NAME_REFERENCES: &[BackReference] = &[
    (
        ("StorageClass", "storage.k8s.io/v1"),
        &[
            ("PersistentVolume", "", r"spec/storageClassName"),
            ("PersistentVolumeClaim", "", r"spec/storageClassName"),
            (
                "StatefulSet",
                "",
                r"spec/volumeClaimTemplates/spec/storageClassName",
            ),
        ],
    ),
    (
        ("ServiceAccount", "v1"),
        &[
            ("RoleBinding", "rbac.authorization.k8s.io/", r"subjects"),
            (
                "ClusterRoleBinding",
                "rbac.authorization.k8s.io/",
                r"subjects",
            ),
            ("Pod", "", r"spec/serviceAccountName"),
            ("StatefulSet", "", r"spec/template/spec/serviceAccountName"),
            ("Deployment", "", r"spec/template/spec/serviceAccountName"),
            (
                "ReplicationController",
                "",
                r"spec/template/spec/serviceAccountName",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/serviceAccountName",
            ),
            ("Job", "", r"spec/template/spec/serviceAccountName"),
            ("DaemonSet", "", r"spec/template/spec/serviceAccountName"),
        ],
    ),
    (
        ("Role", "rbac.authorization.k8s.io/"),
        &[("RoleBinding", "rbac.authorization.k8s.io/", r"roleRef/name")],
    ),
    (
        ("ClusterRole", "rbac.authorization.k8s.io/"),
        &[
            ("RoleBinding", "rbac.authorization.k8s.io/", r"roleRef/name"),
            (
                "ClusterRoleBinding",
                "rbac.authorization.k8s.io/",
                r"roleRef/name",
            ),
        ],
    ),
    (
        ("ConfigMap", "v1"),
        &[
            ("Pod", "v1", r"spec/volumes/configMap/name"),
            (
                "Pod",
                "v1",
                r"spec/containers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "Pod",
                "v1",
                r"spec/initContainers/env/valueFrom/configMapKeyRef/name",
            ),
            ("Pod", "v1", r"spec/containers/envFrom/configMapRef/name"),
            (
                "Pod",
                "v1",
                r"spec/initContainers/envFrom/configMapRef/name",
            ),
            (
                "Pod",
                "v1",
                r"spec/volumes/projected/sources/configMap/name",
            ),
            ("PodTemplate", "", r"template/spec/volumes/configMap/name"),
            (
                "PodTemplate",
                "",
                r"template/spec/containers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "PodTemplate",
                "",
                r"template/spec/initContainers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "PodTemplate",
                "",
                r"template/spec/containers/envFrom/configMapRef/name",
            ),
            (
                "PodTemplate",
                "",
                r"template/spec/initContainers/envFrom/configMapRef/name",
            ),
            (
                "PodTemplate",
                "",
                r"template/spec/volumes/projected/sources/configMap/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/volumes/configMap/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/containers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/containers/envFrom/configMapRef/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/initContainers/envFrom/configMapRef/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/volumes/projected/sources/configMap/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/volumes/configMap/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/containers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/containers/envFrom/configMapRef/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/initContainers/envFrom/configMapRef/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/volumes/projected/sources/configMap/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/volumes/configMap/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/containers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/containers/envFrom/configMapRef/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/initContainers/envFrom/configMapRef/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/volumes/projected/sources/configMap/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/volumes/configMap/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/containers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/containers/envFrom/configMapRef/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/initContainers/envFrom/configMapRef/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/volumes/projected/sources/configMap/name",
            ),
            ("Job", "", r"spec/template/spec/volumes/configMap/name"),
            (
                "Job",
                "",
                r"spec/template/spec/containers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "Job",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "Job",
                "",
                r"spec/template/spec/containers/envFrom/configMapRef/name",
            ),
            (
                "Job",
                "",
                r"spec/template/spec/initContainers/envFrom/configMapRef/name",
            ),
            (
                "Job",
                "",
                r"spec/template/spec/volumes/projected/sources/configMap/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/volumes/configMap/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/volumes/projected/sources/configMap/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/containers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/containers/envFrom/configMapRef/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/initContainers/envFrom/configMapRef/name",
            ),
            ("Node", "", r"spec/configSource/configMap"),
            ("Role", "", r"rules/resourceNames"),
            ("ClusterRole", "", r"rules/resourceNames"),
            (
                "Ingress",
                "",
                r"metadata/annotations/nginx.ingress.kubernetes.io\/fastcgi-params-configmap",
            ),
        ],
    ),
    (
        ("Secret", "v1"),
        &[
            ("Pod", "v1", r"spec/volumes/secret/secretName"),
            (
                "Pod",
                "v1",
                r"spec/containers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "Pod",
                "v1",
                r"spec/initContainers/env/valueFrom/secretKeyRef/name",
            ),
            ("Pod", "v1", r"spec/containers/envFrom/secretRef/name"),
            ("Pod", "v1", r"spec/initContainers/envFrom/secretRef/name"),
            ("Pod", "v1", r"spec/imagePullSecrets/name"),
            ("Pod", "v1", r"spec/volumes/projected/sources/secret/name"),
            (
                "PodTemplate",
                "",
                r"template/spec/volumes/secret/secretName",
            ),
            (
                "PodTemplate",
                "",
                r"template/spec/containers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "PodTemplate",
                "",
                r"template/spec/initContainers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "PodTemplate",
                "",
                r"template/spec/containers/envFrom/secretRef/name",
            ),
            (
                "PodTemplate",
                "",
                r"template/spec/initContainers/envFrom/secretRef/name",
            ),
            ("PodTemplate", "", r"template/spec/imagePullSecrets/name"),
            (
                "PodTemplate",
                "",
                r"template/spec/volumes/projected/sources/secret/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/volumes/secret/secretName",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/containers/envFrom/secretRef/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/initContainers/envFrom/secretRef/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/imagePullSecrets/name",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/volumes/projected/sources/secret/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/volumes/secret/secretName",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/containers/envFrom/secretRef/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/initContainers/envFrom/secretRef/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/imagePullSecrets/name",
            ),
            (
                "ReplicaSet",
                "",
                r"spec/template/spec/volumes/projected/sources/secret/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/volumes/secret/secretName",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/containers/envFrom/secretRef/name",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/initContainers/envFrom/secretRef/name",
            ),
            ("DaemonSet", "", r"spec/template/spec/imagePullSecrets/name"),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/volumes/projected/sources/secret/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/volumes/secret/secretName",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/containers/envFrom/secretRef/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/initContainers/envFrom/secretRef/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/imagePullSecrets/name",
            ),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/volumes/projected/sources/secret/name",
            ),
            ("Job", "", r"spec/template/spec/volumes/secret/secretName"),
            (
                "Job",
                "",
                r"spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "Job",
                "",
                r"spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "Job",
                "",
                r"spec/template/spec/containers/envFrom/secretRef/name",
            ),
            (
                "Job",
                "",
                r"spec/template/spec/initContainers/envFrom/secretRef/name",
            ),
            ("Job", "", r"spec/template/spec/imagePullSecrets/name"),
            (
                "Job",
                "",
                r"spec/template/spec/volumes/projected/sources/secret/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/volumes/secret/secretName",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/volumes/projected/sources/secret/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/containers/envFrom/secretRef/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/initContainers/envFrom/secretRef/name",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/imagePullSecrets/name",
            ),
            ("Ingress", "", r"spec/tls/secretName"),
            (
                "Ingress",
                "",
                r"metadata/annotations/ingress.kubernetes.io\/auth-secret",
            ),
            (
                "Ingress",
                "",
                r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret",
            ),
            (
                "Ingress",
                "",
                r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-tls-secret",
            ),
            // Listed twice by kustomize too, and so applied twice here as there.
            ("Ingress", "", r"spec/tls/secretName"),
            ("ServiceAccount", "", r"imagePullSecrets/name"),
            ("StorageClass", "", r"parameters/secretName"),
            ("StorageClass", "", r"parameters/adminSecretName"),
            ("StorageClass", "", r"parameters/userSecretName"),
            ("StorageClass", "", r"parameters/secretRef"),
            ("Role", "", r"rules/resourceNames"),
            ("ClusterRole", "", r"rules/resourceNames"),
            (
                "Service",
                "serving.knative.dev/v1",
                r"spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            ),
            ("PersistentVolume", "", r"spec/azureFile/secretName"),
        ],
    ),
    (
        ("Service", "v1"),
        &[
            ("StatefulSet", "apps/", r"spec/serviceName"),
            ("Ingress", "", r"spec/rules/http/paths/backend/serviceName"),
            ("Ingress", "", r"spec/backend/serviceName"),
            ("Ingress", "", r"spec/rules/http/paths/backend/service/name"),
            ("Ingress", "", r"spec/defaultBackend/service/name"),
            (
                "APIService",
                "apiregistration.k8s.io/",
                r"spec/service/name",
            ),
            (
                "ValidatingWebhookConfiguration",
                "admissionregistration.k8s.io/",
                r"webhooks/clientConfig/service",
            ),
            (
                "MutatingWebhookConfiguration",
                "admissionregistration.k8s.io/",
                r"webhooks/clientConfig/service",
            ),
        ],
    ),
    (
        ("PriorityClass", "scheduling.k8s.io/v1"),
        &[
            ("Pod", "", r"spec/priorityClassName"),
            ("StatefulSet", "", r"spec/template/spec/priorityClassName"),
            ("Deployment", "", r"spec/template/spec/priorityClassName"),
            (
                "ReplicationController",
                "",
                r"spec/template/spec/priorityClassName",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/priorityClassName",
            ),
            ("Job", "", r"spec/template/spec/priorityClassName"),
            ("DaemonSet", "", r"spec/template/spec/priorityClassName"),
        ],
    ),
    (
        ("PersistentVolume", "v1"),
        &[
            ("PersistentVolumeClaim", "", r"spec/volumeName"),
            ("ClusterRole", "", r"rules/resourceNames"),
        ],
    ),
    (
        ("PersistentVolumeClaim", "v1"),
        &[
            ("Pod", "", r"spec/volumes/persistentVolumeClaim/claimName"),
            (
                "StatefulSet",
                "",
                r"spec/template/spec/volumes/persistentVolumeClaim/claimName",
            ),
            (
                "Deployment",
                "",
                r"spec/template/spec/volumes/persistentVolumeClaim/claimName",
            ),
            (
                "ReplicationController",
                "",
                r"spec/template/spec/volumes/persistentVolumeClaim/claimName",
            ),
            (
                "CronJob",
                "",
                r"spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName",
            ),
            (
                "Job",
                "",
                r"spec/template/spec/volumes/persistentVolumeClaim/claimName",
            ),
            (
                "DaemonSet",
                "",
                r"spec/template/spec/volumes/persistentVolumeClaim/claimName",
            ),
        ],
    ),
    (
        ("Deployment", ""),
        &[("HorizontalPodAutoscaler", "", r"spec/scaleTargetRef/name")],
    ),
    (
        ("StatefulSet", ""),
        &[("HorizontalPodAutoscaler", "", r"spec/scaleTargetRef/name")],
    ),
    (
        ("ValidatingAdmissionPolicy", "admissionregistration.k8s.io/"),
        &[(
            "ValidatingAdmissionPolicyBinding",
            "admissionregistration.k8s.io/",
            r"spec/policyName",
        )],
    ),
    // kustomize spells this group `networking.k8s.io/v1`, so no IngressClass ever
    // matches and `ingressClassName` is never rewritten (checked with kustomize 5.5).
    (
        ("IngressClass", "networking.k8s.io/v1/v1"),
        &[("Ingress", "", r"spec/ingressClassName")],
    ),
    (
        ("ReplicaSet", ""),
        &[("HorizontalPodAutoscaler", "", r"spec/scaleTargetRef/name")],
    ),
    (
        ("ReplicationController", ""),
        &[("HorizontalPodAutoscaler", "", r"spec/scaleTargetRef/name")],
    ),
];
