// The refresher's time source: every timer it arms (debounce, minimum interval, rate limit, backoff, confirmation,
// periodic re-check, lease renewal) goes through one Clock, so tests can move time instead of sleeping.

/** A timer that can be cancelled; cancelling a fired timer does nothing. */
export interface Timer {
  cancel(): void;
}

/** Wall-clock milliseconds and one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch (comparable with the ISO timestamps in run records). */
  now(): number;
  /** Runs `fn` once, `ms` from now. */
  after(ms: number, fn: () => void): Timer;
  /** Resolves `ms` from now, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Sleeps on `clock`, cut short by `signal`: shared by every Clock so a fake clock only implements `now` and `after`. */
export function sleepOn(clock: Pick<Clock, 'after'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.after(ms, () => {
      signal?.removeEventListener('abort', wake);
      resolve();
    });
    const wake = () => {
      timer.cancel();
      resolve();
    };
    signal?.addEventListener('abort', wake, { once: true });
  });
}

/** The process's clock. */
export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
  sleep(ms, signal) {
    return sleepOn(realClock, ms, signal);
  },
};
