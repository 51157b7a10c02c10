/**
 * The SQLite threads: each host, seen from the event loop (the writer, one
 * request per transaction; the checkpoint thread), and each thread's own side,
 * in this one module, because a thread starts from the module (in the build,
 * the chunk) that holds it.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import { startThread } from '../../node/threads.js';
import type { Erasure, ErasureTarget } from './erase.js';
import type { IngestResult, StoredEvent } from './types.js';
import { sqliteDriver } from './drivers.js';
import { packBatches, unpackBatches, WORKER_KEY, type ThreadData, type WriteReply, type WriteRequest } from './sqliteWire.js';
import { CHECKPOINT_EVERY_MS, configure, SqliteWrites, WRITER_CHECKPOINT_PAGES } from './sqliteWrites.js';
import { WalGate } from './walGate.js';

/** WAL frames (pages) past which the checkpoint thread makes the WAL start over: 24 MiB, well below `journal_size_limit`. */
export const WAL_RESTART_PAGES = 6144;
/** Frames past which the writer is held for the last pass even if the passes have not caught up with it. */
const WAL_HOLD_ANYWAY_PAGES = 1.25 * WAL_RESTART_PAGES;
/** Frames left behind a checkpoint pass few enough to copy while the writer waits (about 1 MiB: a few milliseconds). */
const CAUGHT_UP_PAGES = 250;
/** Passes back to back, at most, to come that close. */
const CATCH_UP_PASSES = 8;
/** Longest the checkpoint thread waits for the writer to come between two transactions. */
const HOLD_WAIT_MS = 50;
/** Longest the writer waits for the checkpoint thread's last pass. */
const WRITER_WAIT_MS = 50;
/** Longest the checkpoint thread passes again while the writer is held: within {@link WRITER_WAIT_MS}. */
const HOLD_PASSES_MS = 40;

/** The writer thread, seen from the event loop: one request per transaction. */
export class WriterThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 0;

  /** @param gate shared with the store's {@link CheckpointThread} */
  constructor(private readonly location: string, private readonly gate = new WalGate()) {}

  /** Writes the batches in one transaction on the thread; resolves once committed. */
  write(batches: readonly (readonly StoredEvent[])[]): Promise<IngestResult[]> {
    return this.request((id) => ({ id, batches: packBatches(batches) })) as Promise<IngestResult[]>;
  }

  /** Erases on the thread, in the order of the writes (see {@link SqliteWrites.erase}); resolves once committed. */
  erase(target: ErasureTarget): Promise<Erasure | null> {
    return this.request((id) => ({ id, erase: target })) as Promise<Erasure | null>;
  }

  private request(message: (id: number) => WriteRequest): Promise<unknown> {
    const worker = (this.worker ??= this.start());
    // Referenced only while a write is out: an idle writer must not keep the process alive, a busy one must.
    worker.ref();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(message(id));
    });
  }

  /** Closes the thread's connection and waits for the thread to end. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref();
    worker.postMessage({ close: true });
    await exited;
  }

  private start(): Worker {
    const worker = spawnThread({ location: this.location, role: 'write', gate: this.gate.buffer });
    worker.unref();
    worker.on('message', (reply: WriteReply) => {
      const request = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (!this.pending.size) worker.unref();
      if (!request) return;
      if ('value' in reply) request.resolve(reply.value);
      else request.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const request of this.pending.values()) request.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`idstitch collector: the SQLite writer thread stopped (exit code ${code})`)));
    return worker;
  }
}

function spawnThread(data: ThreadData): Worker {
  return startThread({ module: import.meta.url }, { [WORKER_KEY]: data });
}

/**
 * The checkpoint thread, seen from the event loop. Copying the WAL back into
 * the database (random writes, then an fsync) stalled the commit that ran it
 * for up to 100 ms; on a thread of its own it copies without waiting for the
 * writer. Under steady writes a passive copy never finds the whole WAL copied,
 * so SQLite never starts it over by itself: this thread does, at
 * {@link WAL_RESTART_PAGES}, holding the writer only for a last pass of a few
 * milliseconds (see serveCheckpoints and walGate.ts). Left to the writer's own
 * threshold ({@link WRITER_CHECKPOINT_PAGES}, now the fallback), that commit
 * synced the database file for 33 to 70 ms and the next one cut the WAL from
 * 200 MB back to 64 MB for 36 to 40 ms. (A RESTART checkpoint from this thread
 * held the writer in SQLite's busy waits: request p99 92 ms against 27 ms.)
 */
export class CheckpointThread {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private running = true;

  /** @param gate shared with the store's {@link WriterThread} */
  constructor(location: string, warn?: (message: string, error: unknown) => void, gate = new WalGate()) {
    this.worker = spawnThread({ location, role: 'checkpoint', gate: gate.buffer });
    // A failed checkpoint only means the writer checkpoints itself: said, not fatal.
    this.worker.on('error', (error) => warn?.('the WAL checkpoint thread failed; the writer checkpoints by itself from now on', error));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => {
      this.running = false;
      resolve();
    }));
    this.worker.unref();
  }

  /** Closes the thread's connection and waits for the thread to end (at once if it already has). */
  async close(): Promise<void> {
    if (this.running) {
      // Referenced while it closes: otherwise a process with nothing else to do exits before the database is closed.
      this.worker.ref();
      this.worker.postMessage({ close: true });
    }
    await this.exited;
  }
}

/** The thread's side: opens its own connection and answers write requests in order. */
function serveWrites(location: string, gate: WalGate): void {
  const port = parentPort!;
  const db = new (sqliteDriver())(location);
  configure(db);
  db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
  const writes = new SqliteWrites(db);
  port.on('message', async (message: WriteRequest | { close: true }) => {
    if ('close' in message) {
      db.close();
      port.close();
      return;
    }
    let reply: WriteReply;
    // Between two transactions (each runs to its commit before the next message): where the WAL may start over.
    gate.pass(WRITER_WAIT_MS);
    try {
      const value = 'erase' in message ? await writes.erase(message.erase) : await writes.write(unpackBatches(message.batches));
      reply = { id: message.id, value };
    } catch (error) {
      const { message: text, code } = error as { message?: string; code?: string };
      reply = { id: message.id, error: { message: String(text ?? error), code } };
    }
    port.postMessage(reply);
  });
}

interface CheckpointResult {
  busy: number;
  /** Frames in the WAL when the pass began. */
  log: number;
  /** Frames copied back, of those. */
  checkpointed: number;
}

/**
 * The checkpoint thread's side: a passive checkpoint every
 * {@link CHECKPOINT_EVERY_MS}, until told to close. Once the WAL holds
 * {@link WAL_RESTART_PAGES} frames it catches up (passes back to back, each
 * copying what landed during the last), then holds the writer for a last
 * pass (see walGate.ts), so the writer's next transaction starts the WAL over.
 */
function serveCheckpoints(location: string, gate: WalGate): void {
  const port = parentPort!;
  const db = new (sqliteDriver())(location);
  configure(db);
  const pass = () => (db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[])[0]!;
  // SQLite syncs the database file only in a pass that copies the whole WAL, so that sync (the last pass's)
  // would flush every page the passes before it copied: 10 to 90 ms while the writer waits. Synced here
  // first, the last pass flushes only its own pages. (An fsync through any descriptor flushes the file.)
  // Closed only after the connection (see close below): closing a descriptor drops the process's locks on the file.
  const file = openSync(location, 'r');
  // A pass that could not take the checkpoint lock (the writer checkpointing itself) answers busy, and -1 for both
  // counts: that is not caught up.
  const caughtUp = (result: CheckpointResult) => !result.busy && result.log >= 0 && result.checkpointed === result.log;
  // A pass that copied nothing more while frames wait: a reader on older frames keeps them from being copied, and the
  // WAL from starting over, until it is done (a funnel, up to the query limit). Holding the writer then is in vain.
  const stuck = (before: CheckpointResult, after: CheckpointResult) => !caughtUp(after) && after.checkpointed === before.checkpointed;
  /** Catches up with the writer, then copies the rest while it waits; gives up on a reader in the way (the next tick tries again). */
  const startOver = (first: CheckpointResult): void => {
    let result = first;
    let behind = Infinity;
    // A writer faster than the passes is held before the WAL is half as long again: the bound comes first.
    for (let i = 0; i < CATCH_UP_PASSES && behind > CAUGHT_UP_PAGES && result.log < WAL_HOLD_ANYWAY_PAGES; i++) {
      const last = result;
      result = pass();
      if (stuck(last, result)) return;
      behind = result.log - last.checkpointed;
    }
    const long = result.log >= WAL_HOLD_ANYWAY_PAGES;
    if (!caughtUp(result) && !long) return;
    fsyncSync(file);
    // What landed meanwhile.
    const last = result;
    result = pass();
    if (stuck(last, result)) return;
    behind = result.log - last.checkpointed;
    if (!long && !(caughtUp(result) && behind <= CAUGHT_UP_PAGES)) return;
    if (!gate.hold(HOLD_WAIT_MS)) return;
    try {
      // Nothing lands while the writer waits: passes until one copies the rest, within the writer's wait, unless a
      // reader that came meanwhile stops them.
      const until = performance.now() + HOLD_PASSES_MS;
      for (let before = result; ; before = result) {
        result = pass();
        if (caughtUp(result) || stuck(before, result) || performance.now() >= until) break;
      }
    } finally {
      gate.release();
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    try {
      const result = pass();
      if (result.log >= WAL_RESTART_PAGES) startOver(result);
    } catch {
      // Busy or failing: the next tick tries again, and the writer checkpoints itself meanwhile.
    }
    timer = setTimeout(tick, CHECKPOINT_EVERY_MS);
  };
  timer = setTimeout(tick, CHECKPOINT_EVERY_MS);
  port.on('message', () => {
    clearTimeout(timer);
    db.close();
    closeSync(file);
    port.close();
  });
}

const data: unknown = isMainThread ? undefined : (workerData as Record<string, unknown> | null)?.[WORKER_KEY];
if (typeof data === 'object' && data !== null) {
  const { location, role, gate } = data as ThreadData;
  if (role === 'write') serveWrites(location, new WalGate(gate));
  else if (role === 'checkpoint') serveCheckpoints(location, new WalGate(gate));
}
