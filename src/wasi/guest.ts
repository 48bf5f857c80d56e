// The `host` import module as the guest sees it: reads arguments out of guest memory, blocks on the bridge, mallocs the answer in.

import type { HostAnswer, HostCall } from './states.js';

/** A guest broke the ABI (bad state pointer, lying malloc): the run must stop with this message. */
export class GuestFault extends Error {}

/** The exports of the guest a host call needs; looked up lazily because imports exist before the instance. */
type GuestInstance = () => WebAssembly.Instance;

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

function memoryOf(instance: WebAssembly.Instance): WebAssembly.Memory {
  const memory = instance.exports['memory'];
  if (!(memory instanceof WebAssembly.Memory)) throw new GuestFault('flight does not export its memory');
  return memory;
}

/** Unpacks yoke's `(address << 32) | length`. */
function unpack(value: bigint): { address: number; length: number } {
  const v = BigInt.asUintN(64, value);
  return { address: Number(v >> 32n), length: Number(v & 0xffffffffn) };
}

/** Copies the answer into guest memory through the guest's own malloc, checking what malloc claims. */
function deliver(instance: WebAssembly.Instance, op: string, statePtr: number, answer: HostAnswer): bigint {
  const bytes = textEncoder.encode(answer.body);
  const malloc = instance.exports['malloc'];
  if (typeof malloc !== 'function') throw new GuestFault(`flight called host.${op} but does not export malloc`);
  const packed = (malloc as (size: number) => bigint)(bytes.byteLength);
  if (typeof packed !== 'bigint') throw new GuestFault(`flight's malloc must return an i64 (address << 32 | length)`);
  const { address, length } = unpack(packed);
  const memory = memoryOf(instance); // malloc may have grown memory: read the buffer again
  if (length !== bytes.byteLength || address + length > memory.buffer.byteLength) {
    throw new GuestFault(`flight's malloc(${bytes.byteLength}) returned address ${address} length ${length}, outside its ${memory.buffer.byteLength}-byte memory or of the wrong size`);
  }
  new Uint8Array(memory.buffer, address, length).set(bytes);
  new DataView(memory.buffer).setUint32(statePtr, answer.state, true);
  return packed;
}

/** Builds the `host` module: each import validates pointers, then asks the parent synchronously. */
export function createHostImports(instance: GuestInstance, call: (request: HostCall) => HostAnswer): WebAssembly.ModuleImports {
  // Why: a lying pointer must be an error the flight can see, never a host crash.
  function read(op: string, what: string, value: bigint): string | HostAnswer {
    const { address, length } = unpack(value);
    if (length === 0) return '';
    const size = memoryOf(instance()).buffer.byteLength;
    if (address + length > size) {
      return { state: 2, body: `host.${op}: argument ${what} (address ${address}, length ${length}) lies outside the flight's ${size}-byte memory` };
    }
    return textDecoder.decode(new Uint8Array(memoryOf(instance()).buffer, address, length));
  }

  // Why: the state word is written on every answer, so its pointer is checked before anything else.
  function checkState(op: string, statePtr: number): void {
    const size = memoryOf(instance()).buffer.byteLength;
    if (statePtr < 0 || statePtr + 4 > size) throw new GuestFault(`flight passed host.${op} a state pointer ${statePtr} outside its ${size}-byte memory`);
  }

  // Why: one path for reading every argument, so no argument skips the bounds check.
  function invoke(op: HostCall['op'], statePtr: number, named: Array<[string, bigint]>, build: (values: string[]) => HostCall): bigint {
    checkState(op, statePtr);
    const values: string[] = [];
    for (const [what, value] of named) {
      const text = read(op, what, value);
      if (typeof text !== 'string') return deliver(instance(), op, statePtr, text);
      values.push(text);
    }
    return deliver(instance(), op, statePtr, call(build(values)));
  }

  return {
    k8s_lookup: (statePtr: number, name: bigint, namespace: bigint, kind: bigint, apiVersion: bigint): bigint =>
      invoke(
        'k8s_lookup',
        statePtr,
        [
          ['name', name],
          ['namespace', namespace],
          ['kind', kind],
          ['apiVersion', apiVersion],
        ],
        ([n, ns, k, av]) => ({
          op: 'k8s_lookup',
          name: n ?? '',
          namespace: ns ?? '',
          kind: k ?? '',
          apiVersion: av ?? '',
        }),
      ),
    k8s_rest_mapping: (statePtr: number, groupOrAPIVersion: bigint, kind: bigint): bigint =>
      invoke(
        'k8s_rest_mapping',
        statePtr,
        [
          ['groupOrAPIVersion', groupOrAPIVersion],
          ['kind', kind],
        ],
        ([g, k]) => ({
          op: 'k8s_rest_mapping',
          groupOrAPIVersion: g ?? '',
          kind: k ?? '',
        }),
      ),
  };
}
