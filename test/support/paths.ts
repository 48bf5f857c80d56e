// Where the repository is, seen from compiled tests in dist/test/...

import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** An absolute path inside the repository. */
export function repoPath(relative: string): string {
  return root + relative;
}
