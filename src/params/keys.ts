// Keys an Application author chooses (parameter names, input paths, refs names) must never reach a JavaScript prototype.

import { ParameterError } from './flight-params.js';

/** Names that, used as an object key, read or replace a prototype instead of a property. */
const prototypeKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** Refuses a key that names a prototype; `where` is the parameter it came from. */
export function checkKey(where: string, key: string): string {
  if (prototypeKeys.has(key)) throw new ParameterError(where, key, 'a name other than "__proto__", "constructor" or "prototype" (reserved: they name JavaScript prototypes)');
  return key;
}
