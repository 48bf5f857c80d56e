// The flight worker thread: instantiates the module, runs `_start`, and turns host calls into blocking bridge calls.

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { GuestFault, createHostImports } from './guest.js';
import type { HostAnswer, HostCall } from './states.js';
import type { AbortKind, BridgeChannel, FromWorker, InstanceOrigin, ModuleRef, RunMessage, ToWorker } from './protocol.js';
import { Capture, FlightWasi, OutputLimitExceeded } from './shim.js';

const port = parentPort;
if (!port) throw new Error('the flight worker must run as a worker thread');
const bridge = workerData as BridgeChannel;

interface Prepared {
  moduleId: number;
  instance: WebAssembly.Instance;
  wasi: FlightWasi;
}

let prepared: Prepared | undefined;

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

// Why: a wasm import must return synchronously; the parent does the network call while we block.
function callParent(request: HostCall): HostAnswer {
  send({ type: 'host-call', call: request });
  Atomics.wait(bridge.flag, 0, 0);
  Atomics.store(bridge.flag, 0, 0);
  const answer = receiveMessageOnPort(bridge.port);
  if (!answer) throw new GuestFault('host bridge woke without an answer');
  return answer.message as HostAnswer;
}

// Why: instantiation is most of a warm run's cost, so it can happen ahead of the request.
function instantiate(ref: ModuleRef): Prepared {
  const wasi = new FlightWasi();
  const host = createHostImports(() => instance, callParent);
  const instance = new WebAssembly.Instance(ref.module, { wasi_snapshot_preview1: wasi.wasi.wasiImport, host });
  wasi.bind(instance);
  return { moduleId: ref.id, instance, wasi };
}

function classify(error: unknown): { kind: AbortKind; message: string } {
  if (error instanceof OutputLimitExceeded) return { kind: 'output-limit', message: error.message };
  if (error instanceof GuestFault) return { kind: 'host', message: error.message };
  if (error instanceof WebAssembly.RuntimeError) return { kind: 'trap', message: error.message };
  return { kind: 'trap', message: error instanceof Error ? error.message : String(error) };
}

// Why: one run end to end; every way out reports back, so the parent never waits forever.
function run(message: RunMessage): void {
  // stderr keeps its first MiB for the error message; writing past the output bound to either stream stops the flight
  const stdout = new Capture('stdout', message.outputLimit, message.outputLimit);
  const stderr = new Capture('stderr', 1 << 20, message.outputLimit);
  let current: Prepared;
  let origin: InstanceOrigin;
  try {
    current = prepared?.moduleId === message.module.id ? prepared : instantiate(message.module);
    origin = current === prepared ? 'prepared' : 'fresh';
  } catch (error) {
    send({ type: 'aborted', kind: 'instantiate', message: error instanceof Error ? error.message : String(error), stderr: new Uint8Array() });
    return;
  } finally {
    prepared = undefined;
  }
  current.wasi.configure({ argv: message.argv, env: message.env, stdin: message.stdin, stdout, stderr });
  try {
    const exitCode = current.wasi.wasi.start(current.instance as Parameters<typeof current.wasi.wasi.start>[0]);
    const out = stdout.bytes();
    const err = stderr.bytes();
    send({ type: 'exited', exitCode, stdout: out, stderr: err, instance: origin }, [out.buffer as ArrayBuffer, err.buffer as ArrayBuffer]);
  } catch (error) {
    const err = stderr.bytes();
    send({ type: 'aborted', ...classify(error), stderr: err }, [err.buffer as ArrayBuffer]);
  }
}

function prepare(module: ModuleRef): void {
  try {
    prepared = instantiate(module);
  } catch {
    prepared = undefined; // the next run instantiates again and reports the error itself
  }
  send({ type: 'prepared' });
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'prepare') prepare(message.module);
  else run(message);
});
