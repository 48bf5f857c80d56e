// coordination.k8s.io/v1 Lease, as a real server serves it: namespaced, no status subresource, optimistic concurrency
// on metadata.resourceVersion (a PUT with a stale one answers 409 Conflict), which is what leader election relies on.

import type { ResourceType } from './discovery.js';

/** The Lease kind for the fake's built-in registry. */
export const leaseType: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  listKind: 'LeaseList',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: [],
  hasStatus: false,
  generation: false,
  custom: false,
};
