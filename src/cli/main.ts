#!/usr/bin/env node
// The `jetway` binary: one command per job, parsed by commander.

import { Command } from 'commander';
import { generateCommand } from './generate.js';
import { renderCommand } from './render.js';
import { serveCommand } from './serve.js';
import { simulateCommand } from './simulate.js';
import { statusCommand } from './status.js';

const program = new Command('jetway')
  .description('run yoke flights as an Argo CD config-management plugin, and keep staged orchestration moving')
  .showHelpAfterError()
  .addCommand(generateCommand())
  .addCommand(renderCommand())
  .addCommand(serveCommand())
  .addCommand(simulateCommand())
  .addCommand(statusCommand());

await program.parseAsync(process.argv);
