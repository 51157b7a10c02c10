/**
 * What crosses between the event loop and the SQLite threads: events as flat
 * value arrays, the requests and replies of the writer thread, and the data
 * a thread starts with.
 */
import type { Erasure, ErasureTarget } from './erase.js';
import type { IngestResult, StoredEvent } from './types.js';

// Events cross to the thread as flat arrays of values: copying arrays of
// strings costs a third of copying objects field by field.
const FIELDS = ['messageId', 'kind', 'event', 'anonymousId', 'userId', 'previousId', 'groupId', 'unverifiedUserId', 'traits', 'source',
  'timestamp', 'originalTimestamp', 'receivedAt', 'body'] as const satisfies readonly (keyof StoredEvent)[];
// A field added to StoredEvent but not to FIELDS would be lost on the way: this fails to compile instead.
const everyField: Exclude<keyof StoredEvent, (typeof FIELDS)[number]> extends never ? true : never = true;
void everyField;

/** Batches of events as flat value arrays. */
export function packBatches(batches: readonly (readonly StoredEvent[])[]): unknown[][] {
  return batches.map((events) => {
    const values: unknown[] = [];
    for (const e of events) for (const field of FIELDS) values.push(e[field]);
    return values;
  });
}

/** The inverse of {@link packBatches}. */
export function unpackBatches(packed: readonly (readonly unknown[])[]): StoredEvent[][] {
  return packed.map((values) => {
    const events: StoredEvent[] = [];
    for (let i = 0; i < values.length; i += FIELDS.length) {
      const event: Record<string, unknown> = {};
      FIELDS.forEach((field, k) => (event[field] = values[i + k]));
      events.push(event as unknown as StoredEvent);
    }
    return events;
  });
}

/** A request to the writer thread: an ingest transaction (its batches packed) or an erasure. */
export type WriteRequest = { id: number; batches: unknown[][] } | { id: number; erase: ErasureTarget };
export type WriteReply = { id: number; value: IngestResult[] | Erasure | null } | { id: number; error: { message: string; code?: string } };

/** The threads' own key in `workerData`, so no other worker of the host starts one. */
export const WORKER_KEY = 'idstitchSqlite';

/** What a thread does: run the ingest transactions, or copy the WAL back into the database. */
export type Role = 'write' | 'checkpoint';

export interface ThreadData {
  location: string;
  role: Role;
  /** The writer's and the checkpoint thread's {@link WalGate} (walGate.ts). */
  gate: SharedArrayBuffer;
}
