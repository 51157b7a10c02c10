/**
 * The moment the SQLite WAL starts over, agreed between the writer thread and
 * the checkpoint thread through shared memory.
 *
 * SQLite starts the WAL over when a write transaction begins with every frame
 * copied back and no reader on them. Under steady writes the checkpoint thread
 * never finds that: frames land while it copies. So once the WAL is long, the
 * checkpoint thread asks the writer to wait between two transactions, copies
 * the few frames left (a few milliseconds), and lets it go; the writer's
 * next transaction then writes from the WAL's start. Waiting on shared memory
 * wakes the writer at once, where SQLite's busy handler sleeps in steps of up
 * to 100 ms. The gate only schedules: if either side does not come, the other
 * goes on after its time limit, and SQLite's own locks keep the data safe.
 */
const OPEN = 0;
const ASKED = 1;
const HELD = 2;

export class WalGate {
  private readonly state: Int32Array;

  /** @param buffer shared between the threads (pass the same one to both): the state, then the writer's waits */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8)) {
    this.state = new Int32Array(buffer);
  }

  /** Times the writer has waited for the checkpoint thread (what a test counts). */
  get holds(): number {
    return Atomics.load(this.state, 1);
  }

  /**
   * Checkpoint side: asks the writer to wait before its next transaction.
   * True once it waits; false if no transaction started within `ms` (an idle
   * writer lets the checkpoint copy everything anyway).
   */
  hold(ms: number): boolean {
    Atomics.store(this.state, 0, ASKED);
    const deadline = performance.now() + ms;
    for (let left = ms; left > 0 && Atomics.load(this.state, 0) === ASKED; left = deadline - performance.now()) {
      Atomics.wait(this.state, 0, ASKED, left);
    }
    // Withdrawn unless the writer took it meanwhile.
    return Atomics.compareExchange(this.state, 0, ASKED, OPEN) === HELD;
  }

  /** Checkpoint side: lets a waiting writer go on. */
  release(): void {
    Atomics.store(this.state, 0, OPEN);
    Atomics.notify(this.state, 0);
  }

  /** Writer side, between two transactions: waits while the checkpoint thread asks it to, at most `ms`. */
  pass(ms: number): void {
    if (Atomics.compareExchange(this.state, 0, ASKED, HELD) !== ASKED) return;
    Atomics.add(this.state, 1, 1);
    Atomics.notify(this.state, 0);
    const deadline = performance.now() + ms;
    for (let left = ms; left > 0 && Atomics.load(this.state, 0) === HELD; left = deadline - performance.now()) {
      Atomics.wait(this.state, 0, HELD, left);
    }
    // A checkpoint thread that overran (or died) holds the writer no longer.
    Atomics.compareExchange(this.state, 0, HELD, OPEN);
  }
}
