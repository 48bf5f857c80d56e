// Structured logs: one JSON object per line on stderr, which log collectors parse without configuration.

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: Level, message: string, fields?: Record<string, unknown>) => void;

/** A logger writing JSON lines to `stream`. */
export function jsonLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  return (level, message, fields = {}) => {
    stream.write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }) + '\n');
  };
}
