// The logger the refresher reports through. Its shape is the service's JSON logger's (src/service/log.ts), declared here
// so the refresher does not import from the service that runs it; the wiring passes that logger as is.

/** One log line: a level, a message and structured fields. */
export type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** Drops everything: the default when the caller passes no logger. */
export const silent: Log = () => {};
