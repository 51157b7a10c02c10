/**
 * The SQLite read side: queries run on reader threads, each with its own
 * read-only connection, never on the event loop that answers ingest.
 * better-sqlite3 is synchronous, so a query that scans for a second on the
 * event loop held every ingest request for that second. Each query has a
 * time limit: one that runs over it answers 503 (its thread is ended and a
 * new one started, since SQLite cannot be interrupted from another thread
 * here), and one that waited its whole limit for a free thread answers 503
 * without running.
 */
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import type { Statement } from 'better-sqlite3';
import { startThread } from '../../node/threads.js';
import { queryOverLimit } from '../errors.js';
import { sqliteDriver } from './drivers.js';
import type { SqlReader } from './types.js';

type Method = 'all' | 'get';
interface ReadRequest {
  id: number;
  method: Method;
  sql: string;
  params: readonly unknown[];
}
type ReadReply = { id: number; rows: unknown } | { id: number; error: { message: string; code?: string } };

interface Job extends ReadRequest {
  queuedAt: number;
  resolve(rows: unknown): void;
  reject(error: Error): void;
}

interface Reader {
  worker: Worker;
  /** Set once the thread has opened its connection; only then does it get queries. */
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
}

/** The threads' own key in `workerData`, so no other worker of the host starts one. */
const WORKER_KEY = 'idstitchSqliteRead';

/** A pool of reader threads on one SQLite file; a {@link SqlReader} like any other. */
export class ReaderPool implements SqlReader {
  private readonly readers: Reader[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  /** When a reader was first ready: waiting for threads to start (seconds from source, under load) is not the query's. */
  private readySince: number | undefined;

  /**
   * @param location the database file (absolute path)
   * @param size threads, each one query at a time
   * @param limitMs most a query may take, waiting included
   * @param quick where reads of a few rows go instead ({@link SqlReader.quick})
   */
  constructor(private readonly location: string, private readonly size: number, private readonly limitMs: number, readonly quick?: SqlReader) {}

  get concurrency(): number {
    return this.size;
  }

  /** Threads started and not ended (none before the first query). */
  get threads(): number {
    return this.readers.length;
  }

  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.run('all', sql, params) as Promise<T[]>;
  }

  get<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return this.run('get', sql, params) as Promise<T | undefined>;
  }

  /** Ends the threads; queries still queued or running are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('idstitch collector: the store is closed'));
    await Promise.all(this.readers.splice(0).map((reader) => {
      clearTimeout(reader.timer);
      reader.job?.reject(new Error('idstitch collector: the store is closed'));
      return reader.worker.terminate();
    }));
  }

  private run(method: Method, sql: string, params: readonly unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('idstitch collector: the store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.nextId, method, sql, params, queuedAt: Date.now(), resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length) {
      const reader = this.readers.find((r) => r.ready && !r.job);
      if (!reader) {
        // The first query starts every thread: a thread takes a while to start, and the dashboard, once open, asks
        // several things at once (a funnel in parts, one per thread but one). Later, a thread that ended is
        // replaced only when every other one is up and busy.
        if (!this.readers.length) while (this.readers.length < this.size) this.start();
        else if (this.readers.length < this.size && this.readers.every((r) => r.ready)) this.start();
        return;
      }
      const job = this.queue.shift()!;
      const waited = Date.now() - Math.max(job.queuedAt, this.readySince ?? Infinity);
      if (waited >= this.limitMs) {
        job.reject(queryOverLimit('waited', this.limitMs));
        continue;
      }
      reader.job = job;
      reader.worker.ref();
      reader.timer = setTimeout(() => this.overrun(reader), this.limitMs - waited);
      const { id, method, sql, params } = job;
      reader.worker.postMessage({ id, method, sql, params } satisfies ReadRequest);
    }
  }

  private start(): Reader {
    const worker = startThread({ module: import.meta.url }, { [WORKER_KEY]: { location: this.location } });
    worker.unref();
    const reader: Reader = { worker, ready: false };
    worker.on('message', (reply: ReadReply | { ready: true } | { failed: { message: string; code?: string } }) => {
      if ('failed' in reply) {
        fail(Object.assign(new Error(`idstitch collector: a SQLite reader cannot open the database: ${reply.failed.message}`), { code: reply.failed.code }));
        return;
      }
      if ('ready' in reply) {
        reader.ready = true;
        this.readySince ??= Date.now();
        this.dispatch();
        return;
      }
      const job = reader.job;
      if (!job || job.id !== reply.id) return;
      this.free(reader);
      if ('rows' in reply) job.resolve(reply.rows);
      else job.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      this.dispatch();
    });
    const fail = (error: Error) => {
      const { job, ready } = reader;
      this.retire(reader);
      job?.reject(error);
      // A thread that could not even open the file would fail the same way again: the queries waiting
      // for it get its error (instead of waiting for ever), and the next query tries a new thread.
      if (!ready && !this.readers.some((r) => r.ready)) for (const queued of this.queue.splice(0)) queued.reject(error);
      this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`idstitch collector: a SQLite reader thread stopped (exit code ${code})`)));
    this.readers.push(reader);
    return reader;
  }

  /** The query ran past its limit: refuse it, end its thread (the only way to stop it), start afresh. */
  private overrun(reader: Reader): void {
    const job = reader.job;
    this.retire(reader);
    void reader.worker.terminate();
    job?.reject(queryOverLimit('took', this.limitMs));
    this.dispatch();
  }

  private free(reader: Reader): void {
    clearTimeout(reader.timer);
    reader.job = undefined;
    reader.timer = undefined;
    reader.worker.unref();
  }

  private retire(reader: Reader): void {
    this.free(reader);
    const index = this.readers.indexOf(reader);
    if (index >= 0) this.readers.splice(index, 1);
    reader.worker.removeAllListeners('message');
    reader.worker.removeAllListeners('exit');
    reader.worker.on('error', () => {});
  }
}

/** The thread's side: one read-only connection, statements prepared once, one query at a time. */
function serveReads(location: string): void {
  const port = parentPort!;
  let db: InstanceType<ReturnType<typeof sqliteDriver>>;
  try {
    db = new (sqliteDriver())(location, { readonly: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -65536');
  } catch (error) {
    // Said as text: SQLite's errors cross to the event loop as bare objects without their message.
    const { message, code } = error as { message?: string; code?: string };
    port.postMessage({ failed: { message: String(message ?? error), code } });
    port.close();
    return;
  }
  const statements = new Map<string, Statement<unknown[]>>();
  port.postMessage({ ready: true });
  port.on('message', (request: ReadRequest) => {
    let reply: ReadReply;
    try {
      let statement = statements.get(request.sql);
      if (!statement) statements.set(request.sql, (statement = db.prepare(request.sql)));
      const params = request.params as unknown[];
      reply = { id: request.id, rows: request.method === 'all' ? statement.all(...params) : statement.get(...params) };
    } catch (error) {
      const { message, code } = error as { message?: string; code?: string };
      reply = { id: request.id, error: { message: String(message ?? error), code } };
    }
    port.postMessage(reply);
  });
}

const data: unknown = isMainThread ? undefined : (workerData as Record<string, unknown> | null)?.[WORKER_KEY];
if (typeof data === 'object' && data !== null) serveReads((data as { location: string }).location);
