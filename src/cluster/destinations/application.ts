// The destination an Argo CD Application names (spec.destination: the same field for single- and multi-source Apps).

import type { KubeObject } from '../types.js';
import { objectName } from './argo-cluster.js';
import { DestinationError } from './errors.js';

/** spec.destination: exactly one of `server` or `name`, and the namespace the app deploys to. */
export interface ApplicationDestination {
  server: string;
  name: string;
  namespace: string;
}

/** How an Application is named in messages: `Application argocd/pipeline`. */
export function applicationLabel(app: KubeObject): string {
  return `Application ${objectName(app)}`;
}

/** Reads and checks spec.destination as Argo CD's GetDestinationServer does (both set, or neither, is an error). */
export function destinationOf(app: KubeObject): ApplicationDestination {
  const where = applicationLabel(app);
  const spec = app['spec'];
  const destination = typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)['destination'] : undefined;
  if (typeof destination !== 'object' || destination === null || Array.isArray(destination)) {
    throw new DestinationError(`${where}: spec.destination is missing`);
  }
  const text = (key: string): string => {
    const v = (destination as Record<string, unknown>)[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new DestinationError(`${where}: spec.destination.${key} must be a string`);
    return v;
  };
  const server = text('server').replace(/\/+$/, '');
  const name = text('name');
  const namespace = text('namespace');
  if (server !== '' && name !== '') {
    throw new DestinationError(`${where}: application destination can't have both name and server defined: ${name} ${server}`);
  }
  if (server === '' && name === '') throw new DestinationError(`${where}: Destination server missing from app spec`);
  return { server, name, namespace };
}
