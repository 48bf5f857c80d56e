// Update validation the real API server does and the store does not otherwise model: fields that are immutable once set.
// From k8s.io/kubernetes pkg/apis/batch/validation (ValidateJobUpdate / ValidateJobSpecUpdate): a Job's selector and
// pod template cannot change after creation (the few template fields mutable while a Job is suspended are not modelled).

import type { KubeObject } from '../../../src/cluster/types.js';
import type { ResourceType } from './discovery.js';
import { StatusError } from './errors.js';
import { deepEqual } from './patch.js';

type Json = Parameters<typeof deepEqual>[0];

/** A Job's fields that validation rejects changes to, by their path under `spec`. */
const immutableJobFields = ['selector', 'template'] as const;

/** Throws the API server's 422 Invalid when an update through the API changes an immutable field. */
export function validateUpdate(t: ResourceType, old: KubeObject, next: KubeObject): void {
  if (t.group !== 'batch' || t.kind !== 'Job') return;
  const before = (old['spec'] ?? {}) as Record<string, Json>;
  const after = (next['spec'] ?? {}) as Record<string, Json>;
  const causes = immutableJobFields
    .filter((field) => field in before && !deepEqual(before[field], after[field] ?? null))
    .map((field) => ({ reason: 'FieldValueInvalid', message: `Invalid value: ${goValue(after[field])}: field is immutable`, field: `spec.${field}` }));
  if (causes.length === 0) return;
  const name = old.metadata?.name ?? '';
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  throw new StatusError(422, 'Invalid', `Job.batch "${name}" is invalid: ${causes.length > 1 ? `[${text}]` : text}`, { name, group: 'batch', kind: 'Job', causes });
}

/** How field.Invalid prints a struct value (%#v of the Go type); the shape, not the Go syntax, is what a user reads. */
function goValue(value: Json): string {
  return value === undefined ? 'null' : `core.PodTemplateSpec${JSON.stringify(value)}`.replace(/^core\.PodTemplateSpec(?=\{"matchLabels")/, 'v1.LabelSelector');
}
