// Structured logs: one JSON object per line on stderr, which log collectors parse without configuration.

/** The levels, least severe first (`--log-level` takes one: it and everything after it are written). */
export const levels = ['debug', 'info', 'warn', 'error'] as const;

export type Level = (typeof levels)[number];
export type Logger = (level: Level, message: string, fields?: Record<string, unknown>) => void;

/** A logger writing JSON lines to `stream`, dropping lines less severe than `least`. */
export function jsonLogger(stream: NodeJS.WritableStream = process.stderr, least: Level = 'info'): Logger {
  const threshold = levels.indexOf(least);
  return (level, message, fields = {}) => {
    if (levels.indexOf(level) < threshold) return;
    stream.write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }) + '\n');
  };
}
