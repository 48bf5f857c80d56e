#!/usr/bin/env node
// The `jetway` binary: one command per job, parsed by commander.

import { Command } from 'commander';
import { generateCommand } from './generate.js';
import { renderCommand } from './render.js';

const program = new Command('jetway')
  .description('run yoke flights as an Argo CD config-management plugin, and keep staged orchestration moving')
  .showHelpAfterError()
  .addCommand(generateCommand())
  .addCommand(renderCommand());

await program.parseAsync(process.argv);
