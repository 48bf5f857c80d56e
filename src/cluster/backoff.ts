// Exponential backoff with jitter, so clients failing together (watches, API calls) do not retry in lockstep against the API server.

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

/** Delays that double per failure up to a cap, each drawn from the upper half of its range. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  // Why: half fixed, half random keeps a lower bound (no hot loop) while spreading retries.
  next(): number {
    const ceiling = Math.min(this.options.capMs, this.options.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }

  // Why: a healthy stream means the next failure is a fresh one, not the continuation of an outage.
  reset(): void {
    this.attempt = 0;
  }
}
