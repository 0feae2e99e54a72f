/**
 * Waiting for something to change, for the two sides of reassembly (reassemble.ts and
 * assembler-thread.ts): whoever waits looks again at what it waits for once told; telling wakes
 * every waiter at once.
 */
export class News {
  private waiters: (() => void)[] = [];

  /** Resolves at the next `tell`. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  tell(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
