// The built-in kinds of a current Kubernetes release, for the offline cluster's discovery.

import type { RestMapping } from './types.js';

type Row = [group: string, version: string, kind: string, resource: string, namespaced: boolean];

const rows: Row[] = [
  ['', 'v1', 'Namespace', 'namespaces', false],
  ['', 'v1', 'Node', 'nodes', false],
  ['', 'v1', 'PersistentVolume', 'persistentvolumes', false],
  ['', 'v1', 'ConfigMap', 'configmaps', true],
  ['', 'v1', 'Secret', 'secrets', true],
  ['', 'v1', 'Service', 'services', true],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', true],
  ['', 'v1', 'Pod', 'pods', true],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true],
  ['', 'v1', 'Endpoints', 'endpoints', true],
  ['', 'v1', 'Event', 'events', true],
  ['', 'v1', 'LimitRange', 'limitranges', true],
  ['', 'v1', 'ResourceQuota', 'resourcequotas', true],
  ['apps', 'v1', 'Deployment', 'deployments', true],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', true],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', true],
  ['apps', 'v1', 'ControllerRevision', 'controllerrevisions', true],
  ['batch', 'v1', 'Job', 'jobs', true],
  ['batch', 'v1', 'CronJob', 'cronjobs', true],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true],
  ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', true],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true],
  ['networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false],
  ['coordination.k8s.io', 'v1', 'Lease', 'leases', true],
  ['scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
  ['admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false],
  ['admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false],
  ['discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true],
];

export const builtinKinds: RestMapping[] = rows.map(([Group, Version, Kind, Resource, Namespaced]) => ({ Group, Version, Kind, Resource, Namespaced }));
