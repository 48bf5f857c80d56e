#!/usr/bin/env node
// The `jetway` binary. Everything past Node's built-ins is imported on demand, so `jetway generate` answered by
// `jetway serve` loads only the small relay, and Node (>= 22.1) can reuse compiled code from its on-disk cache.

import nodeModule from 'node:module';

// Why: a generate process runs once per manifest request; Node's compile cache (default: $TMPDIR/node-compile-cache,
// writable in the plugin container) spares each one compiling jetway's and client-node's JavaScript again. Node 20 lacks it.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const argv = process.argv;
const relay = argv.length === 3 && argv[2] === 'generate' ? await (await import('./generate-relay.js')).relayGenerate(process.env, process.cwd()) : undefined;
if (!relay?.relayed) await (await import('./program.js')).runProgram(argv, relay?.declined);
