// The logger the refresher reports through: the service's logger type, so the wiring passes it as is.

import type { Level, Logger } from '../service/log.js';

export type LogLevel = Level;
export type Log = Logger;

/** Drops everything: the default when the caller passes no logger. */
export const silent: Log = () => {};
