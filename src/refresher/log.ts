// The logger the refresher reports through: the same shape as the service's JSON logger, so the wiring passes it as is.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** Drops everything: the default when the caller passes no logger. */
export const silent: Log = () => {};
