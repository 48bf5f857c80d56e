// The messages between a flight worker and its parent thread: one place, both sides import it.

import type { MessagePort } from 'node:worker_threads';
import type { HostCall } from './states.js';

/**
 * A module as it crosses to a worker. Structured cloning makes a new WebAssembly.Module object on
 * every message, so identity cannot tell "the module of the prepared instance"; the parent's id can.
 */
export interface ModuleRef {
  id: number;
  module: WebAssembly.Module;
}

/** Parent -> worker: instantiate ahead of time so the next run skips it. */
export interface PrepareMessage {
  type: 'prepare';
  module: ModuleRef;
}

/** Parent -> worker: run the flight once. */
export interface RunMessage {
  type: 'run';
  module: ModuleRef;
  argv: string[];
  env: string[];
  stdin: Uint8Array;
  outputLimit: number;
}

export type ToWorker = PrepareMessage | RunMessage;

/** Whether a run used the instance prepared while idle, or had to instantiate on the request path. */
export type InstanceOrigin = 'prepared' | 'fresh';

/** Why a run ended without an exit code. */
export type AbortKind = 'trap' | 'output-limit' | 'instantiate' | 'host';

/** Worker -> parent. */
export type FromWorker =
  | { type: 'host-call'; call: HostCall }
  | { type: 'exited'; exitCode: number; stdout: Uint8Array; stderr: Uint8Array; instance: InstanceOrigin }
  | { type: 'aborted'; kind: AbortKind; message: string; stderr: Uint8Array }
  | { type: 'prepared' };

/** The shared state a worker blocks on while the parent answers a host call. */
export interface BridgeChannel {
  /** Int32Array over a SharedArrayBuffer: 0 = waiting, 1 = answer posted. */
  flag: Int32Array;
  /** The port answers arrive on, read synchronously with receiveMessageOnPort. */
  port: MessagePort;
}
