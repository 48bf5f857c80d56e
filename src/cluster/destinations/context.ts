// `jetway render --application`: the kubeconfig context standing for an Application's destination cluster, so an author
// reproduces on a laptop what Argo CD's generate will see (issue 14 item 5).

import type { KubeConfig } from '@kubernetes/client-node';
import type { ApplicationDestination } from './application.js';
import { DestinationError } from './errors.js';

/** The context named like the destination: spec.destination.name, else spec.destination.server. */
export function contextForDestination(kc: KubeConfig, destination: ApplicationDestination, where: string): string {
  const wanted = destination.name !== '' ? destination.name : destination.server;
  const names = kc.getContexts().map((c) => c.name);
  if (names.includes(wanted)) return wanted;
  const field = destination.name !== '' ? 'name' : 'server';
  throw new DestinationError(
    `${where}: no kubeconfig context named ${JSON.stringify(wanted)} (its spec.destination.${field}); name a context after the cluster, or pass --context (contexts: ${names.join(', ') || 'none'})`,
  );
}
