/**
 * Coalesces concurrent writes: what arrives while a flush is busy (or within
 * the same tick) goes into the next flush, one transaction for many HTTP
 * batches. Each caller's promise settles only when its own flush committed.
 */

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class WriteQueue<T, R> {
  private pending: Pending<T, R>[] = [];
  private active = 0;
  private scheduled = false;
  private idle: Array<() => void> = [];

  /**
   * @param flush writes the items in one transaction and returns one result per item
   * @param concurrency flushes allowed at once (1 for SQLite's single writer)
   * @param maxItems most items per flush, so one transaction stays short
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly concurrency: number,
    private readonly maxItems = 256,
  ) {}

  /** Queues one item; resolves with its result once committed. */
  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or being written. */
  drain(): Promise<void> {
    if (!this.pending.length && !this.active) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || !this.pending.length || this.active >= this.concurrency) return;
    this.scheduled = true;
    // One macrotask later: every request parsed in this tick joins the flush.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.active >= this.concurrency || !this.pending.length) return;
    const taken = this.pending.splice(0, this.maxItems);
    this.active++;
    this.schedule();
    try {
      await this.write(taken);
    } finally {
      this.active--;
      this.schedule();
      if (!this.pending.length && !this.active) this.idle.splice(0).forEach((resolve) => resolve());
    }
  }

  private async write(taken: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.flush(taken.map((p) => p.item));
      taken.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      if (taken.length === 1) {
        taken[0]!.reject(error);
        return;
      }
      // One bad item must not fail its neighbours: write each alone.
      for (const p of taken) await this.write([p]);
    }
  }
}
