// The `jetway` commands, parsed by commander.

import { Command } from 'commander';
import { generateCommand } from './generate.js';
import { renderCommand } from './render.js';
import { serveCommand } from './serve.js';
import { simulateCommand } from './simulate.js';
import { statusCommand } from './status.js';

/** Parses `argv` and runs the command it names. */
export async function runProgram(argv: string[]): Promise<void> {
  const program = new Command('jetway')
    .description('run yoke flights as an Argo CD config-management plugin, and keep staged orchestration moving')
    .showHelpAfterError()
    .addCommand(generateCommand())
    .addCommand(renderCommand())
    .addCommand(serveCommand())
    .addCommand(simulateCommand())
    .addCommand(statusCommand());
  await program.parseAsync(argv);
}
