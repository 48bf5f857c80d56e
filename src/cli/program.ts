// The `jetway` commands, parsed by commander; only the named command's modules are loaded.

import { Command } from 'commander';

/**
 * Each command's definition, imported on demand: a generate process (one per manifest request) loads only generate's.
 * `declined`: why `jetway serve` declined this very generate (main.ts offered it first), for generate's messages.
 */
const commands: Record<string, (declined: string | undefined) => Promise<Command>> = {
  generate: async (declined) => (await import('./generate.js')).generateCommand(declined),
  render: async () => (await import('./render.js')).renderCommand(),
  serve: async () => (await import('./serve.js')).serveCommand(),
  simulate: async () => (await import('./simulate.js')).simulateCommand(),
  status: async () => (await import('./status.js')).statusCommand(),
};

/** Parses `argv` and runs the command it names; help, a typo or no command loads them all, so commander can list them. */
export async function runProgram(argv: string[], declined?: string): Promise<void> {
  const named = argv[2] !== undefined && Object.hasOwn(commands, argv[2]) ? [argv[2]] : Object.keys(commands);
  const program = new Command('jetway').description('run yoke flights as an Argo CD config-management plugin, and keep staged orchestration moving').showHelpAfterError();
  for (const command of await Promise.all(named.map((name) => commands[name]!(declined)))) program.addCommand(command);
  await program.parseAsync(argv);
}
