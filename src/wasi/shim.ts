// @bjorn3/browser_wasi_shim with its known pitfalls fixed (../shared/toolchain.md): no debug, UTF-8 argv sizes, fast stdout, sleeping poll_oneoff.

import { ConsoleStdout, File, OpenFile, WASI } from '@bjorn3/browser_wasi_shim';

/** Thrown from inside fd_write when the flight writes more than allowed; unwinds the guest. */
export class OutputLimitExceeded extends Error {
  constructor(
    readonly limit: number,
    stream: 'stdout' | 'stderr',
  ) {
    super(`flight wrote more than ${limit} bytes to ${stream} (JETWAY_MAX_OUTPUT_BYTES)`);
  }
}

/**
 * Collects a stream into one growing buffer, never holding the guest's chunks: a flight that writes one byte per
 * fd_write would otherwise cost a typed-array object per byte (gigabytes for a few MB of output).
 */
export class Capture {
  private buffer = new Uint8Array(4096);
  private size = 0;
  private written = 0;

  /** Keeps the first `keep` bytes; past `abortPast` bytes written in all, the flight is stopped. */
  constructor(
    private readonly stream: 'stdout' | 'stderr',
    private readonly keep: number,
    private readonly abortPast: number,
  ) {}

  // Why: ConsoleStdout hands us each write; stdout keeps everything up to its bound, stderr keeps its head.
  write(chunk: Uint8Array): void {
    this.written += chunk.byteLength;
    if (this.written > this.abortPast) throw new OutputLimitExceeded(this.abortPast, this.stream);
    const kept = chunk.subarray(0, Math.max(0, this.keep - this.size));
    if (kept.byteLength === 0) return;
    if (this.size + kept.byteLength > this.buffer.byteLength) {
      const grown = new Uint8Array(Math.min(this.keep, Math.max(this.buffer.byteLength * 2, this.size + kept.byteLength)));
      grown.set(this.buffer.subarray(0, this.size));
      this.buffer = grown;
    }
    this.buffer.set(kept, this.size);
    this.size += kept.byteLength;
  }

  // Why: one contiguous buffer, exactly the kept bytes, to transfer to the parent.
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.size);
  }
}

const ERRNO_SUCCESS = 0;
const ERRNO_INVAL = 28;
const EVENTTYPE_CLOCK = 0;
const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;
const ABSTIME = 1;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export interface WasiSetup {
  argv: string[];
  env: string[];
  stdin: Uint8Array;
  stdout: Capture;
  stderr: Capture;
}

/** A WASI instance whose args, env and fds can be filled in after instantiation (for prepared instances). */
export class FlightWasi {
  readonly wasi: WASI;
  private memory: () => WebAssembly.Memory = () => {
    throw new Error('WASI used before instantiation');
  };

  constructor() {
    this.wasi = new WASI([], [], [], { debug: false });
    const imports = this.wasi.wasiImport as Record<string, (...args: never[]) => unknown>;
    imports['args_sizes_get'] = (argc: number, size: number) => this.argsSizes(argc, size);
    imports['poll_oneoff'] = (inPtr: number, outPtr: number, n: number, nevents: number) => this.poll(inPtr, outPtr, n, nevents);
  }

  // Why: the instance's memory is only known once instantiated.
  bind(instance: WebAssembly.Instance): void {
    this.wasi.inst = instance as typeof this.wasi.inst;
    this.memory = () => instance.exports['memory'] as WebAssembly.Memory;
  }

  // Why: a prepared instance gets its run's argv, env and stdio just before `_start`.
  configure(setup: WasiSetup): void {
    this.wasi.args = setup.argv;
    this.wasi.env = setup.env;
    this.wasi.fds = [new OpenFile(new File(setup.stdin, { readonly: true })), new ConsoleStdout((chunk) => setup.stdout.write(chunk)), new ConsoleStdout((chunk) => setup.stderr.write(chunk))];
  }

  // Why: the shim counts UTF-16 units; Go panics at start on a non-ASCII argument.
  private argsSizes(argcPtr: number, sizePtr: number): number {
    const view = new DataView(this.memory().buffer);
    const size = this.wasi.args.reduce((sum, arg) => sum + Buffer.byteLength(arg, 'utf8') + 1, 0);
    view.setUint32(argcPtr, this.wasi.args.length, true);
    view.setUint32(sizePtr, size, true);
    return ERRNO_SUCCESS;
  }

  // Why: the shim busy-waits one clock and rejects several subscriptions; Go's timers need both to work and to sleep.
  private poll(inPtr: number, outPtr: number, count: number, neventsPtr: number): number {
    if (count === 0) return ERRNO_INVAL;
    const view = new DataView(this.memory().buffer);
    const nowNs = () => process.hrtime.bigint();
    const ready: Array<{ userdata: bigint; type: number }> = [];
    let earliest: { userdata: bigint; deadline: bigint } | undefined;
    for (let i = 0; i < count; i++) {
      const base = inPtr + i * SUBSCRIPTION_SIZE;
      const userdata = view.getBigUint64(base, true);
      const type = view.getUint8(base + 8);
      if (type !== EVENTTYPE_CLOCK) {
        // stdin is an in-memory file and stdout/stderr never block: fd events are ready now.
        ready.push({ userdata, type });
        continue;
      }
      const clockId = view.getUint32(base + 16, true);
      const timeout = view.getBigUint64(base + 24, true);
      const flags = view.getUint16(base + 40, true);
      const wallNow = BigInt(Date.now()) * 1_000_000n;
      const relative = (flags & ABSTIME) === 0 ? timeout : timeout - (clockId === 0 ? wallNow : nowNs());
      const deadline = nowNs() + (relative > 0n ? relative : 0n);
      if (!earliest || deadline < earliest.deadline) earliest = { userdata, deadline };
    }
    if (ready.length === 0 && earliest) {
      const waitMs = Number(earliest.deadline - nowNs()) / 1e6;
      if (waitMs > 0) Atomics.wait(sleeper, 0, 0, waitMs);
      ready.push({ userdata: earliest.userdata, type: EVENTTYPE_CLOCK });
    }
    const out = new DataView(this.memory().buffer);
    ready.forEach((event, i) => {
      const base = outPtr + i * EVENT_SIZE;
      out.setBigUint64(base, event.userdata, true);
      out.setUint16(base + 8, ERRNO_SUCCESS, true);
      out.setUint8(base + 10, event.type);
      out.setBigUint64(base + 16, 0n, true);
      out.setUint16(base + 24, 0, true);
    });
    out.setUint32(neventsPtr, ready.length, true);
    return ERRNO_SUCCESS;
  }
}
