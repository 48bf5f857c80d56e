// `jetway generate`: what Argo CD's cmp-server runs in the app's source directory; writes a YAML stream or fails loudly.

import { Command } from 'commander';
import { generate } from '../argocd/generate.js';
import { formatManifests } from '../stages/format.js';
import { reportFailure } from './fail.js';

/** The commander definition; all input comes from Argo CD's environment, not flags. */
export function generateCommand(): Command {
  return new Command('generate')
    .description('render the Application in the current directory for Argo CD (reads ARGOCD_* variables)')
    .action(async () => {
      try {
        const outcome = await generate(process.env, process.cwd());
        process.stdout.write(formatManifests(outcome.objects, 'yaml'));
      } catch (error) {
        reportFailure(error, `generate for Application ${process.env['ARGOCD_APP_NAME'] ?? '(unknown)'}`);
      }
    });
}
