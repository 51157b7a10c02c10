/**
 * Coalesces concurrent writes: what arrives while a flush is busy (or within
 * the same tick) goes into the next flush, one transaction for many HTTP
 * batches. Each caller's promise settles only when its own flush committed.
 * What waits is bounded ({@link BacklogLimit}): past the bound a push is
 * refused at once, so a store that falls behind answers 503 instead of
 * gathering memory until the process dies.
 */
import { backlogFull } from './errors.js';

/** How much may wait to be written (queued or in a flush), in messages and in bytes. */
export interface BacklogLimit {
  messages: number;
  bytes: number;
}

/** What waits now. */
export interface Backlog {
  messages: number;
  bytes: number;
}

interface Pending<T, R> {
  item: T;
  size: Backlog;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class WriteQueue<T, R> {
  private pending: Pending<T, R>[] = [];
  private active = 0;
  private scheduled = false;
  private idle: Array<() => void> = [];
  private readonly waiting: Backlog = { messages: 0, bytes: 0 };

  /**
   * @param flush writes the items in one transaction and returns one result per item
   * @param concurrency flushes allowed at once (1 for SQLite's single writer)
   * @param maxItems most items per flush, so one transaction stays short
   * @param limit most that may wait; none: unbounded
   * @param measure an item's messages and bytes, for the limit
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly concurrency: number,
    private readonly maxItems = 256,
    private readonly limit?: BacklogLimit,
    private readonly measure: (item: T) => Backlog = () => ({ messages: 1, bytes: 0 }),
  ) {}

  /**
   * Queues one item; resolves with its result once committed. Rejects at
   * once with a 503 {@link backlogFull} error when the item would take the
   * backlog past its limit (an item alone larger than the limit is still
   * taken when nothing waits, or it could never be written).
   */
  push(item: T): Promise<R> {
    const size = this.measure(item);
    const { limit, waiting } = this;
    if (limit && (waiting.messages || waiting.bytes)) {
      if (waiting.messages + size.messages > limit.messages) return Promise.reject(backlogFull(`${waiting.messages} messages`));
      if (waiting.bytes + size.bytes > limit.bytes) return Promise.reject(backlogFull(`${waiting.bytes} bytes`));
    }
    waiting.messages += size.messages;
    waiting.bytes += size.bytes;
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, size, resolve, reject });
      this.schedule();
    });
  }

  /** Messages and bytes queued or being written now. */
  backlog(): Backlog {
    return { ...this.waiting };
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
      taken.forEach((p, i) => this.settle(p).resolve(results[i]!));
    } catch (error) {
      if (taken.length === 1) {
        this.settle(taken[0]!).reject(error);
        return;
      }
      // One bad item must not fail its neighbours: write each alone.
      for (const p of taken) await this.write([p]);
    }
  }

  /** Takes a written (or failed) item out of the backlog. */
  private settle(p: Pending<T, R>): Pending<T, R> {
    this.waiting.messages -= p.size.messages;
    this.waiting.bytes -= p.size.bytes;
    return p;
  }
}
