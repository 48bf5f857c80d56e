// jetway serve resolves each app's lookups to its Application's destination (issue 14): the bench's apps must exist.

import type { FakeApiServer } from '../test/support/apiserver.js';
import { ensureApplication, installArgoProjects } from '../test/support/sidecar.js';

/** Puts the default AppProject and, for each name, an in-cluster Application deploying to `namespace`. */
export function putApplications(api: FakeApiServer, names: string[], namespace: string): void {
  installArgoProjects(api);
  for (const name of names) {
    ensureApplication(api, { name, project: 'default', destinationNamespace: namespace, source: { repoURL: 'https://example.invalid/bench.git', path: '.' }, revision: 'bench' });
  }
}
