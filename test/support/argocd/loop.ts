// A controller's reconcile loop: run a step, sleep, repeat, one step at a time, until stopped; failures are kept, not thrown.

/** One running reconcile loop. */
export class Loop {
  /** Errors thrown by steps, so a scenario can fail with the controller's own message. */
  readonly errors: Error[] = [];
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;

  // Why: the loop starts with its owner; `name` prefixes its errors, so a scenario says which controller failed.
  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly step: () => Promise<void> | void,
  ) {
    // the first step waits a turn, so an owner constructing the loop has finished constructing itself
    this.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
  }

  // Why: steps never overlap (like a workqueue with one worker), and a thrown step does not end the controller.
  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.step();
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        failure.message = `${this.name}: ${failure.message}`;
        this.errors.push(failure);
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Stops after the step in progress, if any, and resolves when it has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
  }
}
