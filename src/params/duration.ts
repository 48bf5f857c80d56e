// Go's time.ParseDuration, because yokecd's `timeout` parameter is a Go duration (`1m30s`, `500ms`, `-1s`).

const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds for a Go duration string, or an error message saying what is wrong. */
export function parseGoDuration(text: string): { ms: number } | { error: string } {
  const match = /^([-+]?)(.*)$/.exec(text);
  const sign = match?.[1] === '-' ? -1 : 1;
  const body = match?.[2] ?? '';
  if (body === '0') return { ms: 0 };
  if (body === '') return { error: 'is empty' };
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let offset = 0;
  while (offset < body.length) {
    part.lastIndex = offset;
    const m = part.exec(body);
    if (!m) return { error: `is not a Go duration such as "30s", "1m30s" or "500ms"` };
    total += Number(m[1]) * units[m[2]!]!;
    offset = part.lastIndex;
  }
  return { ms: sign * total };
}
