/**
 * The one store interface both backends implement (SQLite and PostgreSQL),
 * and the shapes that cross it.
 */
import type { Source } from '../source.js';
import type { Erasure, ErasureTarget } from './erase.js';
import type { Backlog, BacklogLimit } from '../writeQueue.js';

/** How a message is stored: `screen` is stored as `page`. */
export type EventKind = 'identify' | 'track' | 'page' | 'group' | 'alias';

/** One accepted message, validated and normalised, ready to store. */
export interface StoredEvent {
  messageId: string;
  kind: EventKind;
  /** `track`: the event name; `page`/`screen`: the page name; otherwise null. */
  event: string | null;
  anonymousId: string | null;
  userId: string | null;
  /** `alias`: the id being aliased to `userId`. */
  previousId: string | null;
  /** `group`: its `groupId`; other messages: a valid `context.groupId`. */
  groupId: string | null;
  /**
   * A browser's `userId` that verification refused (README "Verified
   * identity"): the message is stored as its anonymous id's, with `userId`,
   * `groupId` and company traits dropped, and the claim listed as a conflict.
   */
  unverifiedUserId: string | null;
  /** `identify` / `group` traits; null for other kinds. */
  traits: Record<string, unknown> | null;
  source: Source;
  /** Event time in ms, corrected for clock skew. */
  timestamp: number;
  /** The client's own `timestamp` in ms, as sent. */
  originalTimestamp: number | null;
  receivedAt: number;
  /** The whole message as received (unknown fields kept), as JSON. */
  body: string;
}

/** What one `ingest` call did. */
export interface IngestResult {
  /** Messages stored now. */
  stored: number;
  /** Messages already stored (the same `messageId` and `timestamp`), or repeated in the same call. */
  duplicates: number;
  /** Positions (in the call's events) of the messages refused because they name an erased id (store/suppression.ts); absent when none. */
  suppressed?: number[];
}

/** Parameterised reads, `?` placeholders; both backends return numbers for integer columns. */
export interface SqlReader {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Queries it runs at once (reader threads, connections): a query done in parts (the funnel) uses all but one. @default 1 */
  readonly concurrency?: number;
  /**
   * Where reads of a few rows by key go (the stats counters, which the
   * dashboard asks every second): a lane of their own, so they never wait
   * behind the long queries. None: this reader.
   */
  readonly quick?: SqlReader;
}

/** A collector store. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, for humans (file path or URL without password). */
  readonly location: string;
  readonly reader: SqlReader;
  /**
   * Stores the events and applies their identity effects in one transaction;
   * resolves only once that transaction is committed.
   */
  ingest(events: readonly StoredEvent[]): Promise<IngestResult>;
  /**
   * Erases a user (with every anonymous id linked to them) or one anonymous
   * visitor, and suppresses their ids from then on (store/erase.ts), in one
   * transaction that is race-safe against ingest; resolves once it is
   * committed, with what was removed, or null for an id never seen.
   */
  erase(target: ErasureTarget): Promise<Erasure | null>;
  /** Messages and bytes accepted for writing and not yet committed (bounded by the backlog limit). */
  backlog(): Backlog;
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  /** Waits for pending writes, then closes. */
  close(): Promise<void>;
}

/** An ingest call's weight in the write backlog: its messages and their bytes as received. */
export const backlogSize = (events: readonly StoredEvent[]): Backlog => {
  let bytes = 0;
  for (const e of events) bytes += e.body.length;
  return { messages: events.length, bytes };
};

/** How a store is opened, beyond where its data lives. */
export interface StoreOptions {
  /** Most that may wait to be written; past it ingest answers 503 (none: unbounded). */
  backlog?: BacklogLimit;
  /** Most a query may take, waiting for a connection or thread included; past it the query answers 503. */
  queryTimeoutMs?: number;
  /** PostgreSQL connections in all, reads and writes. */
  poolSize?: number;
  /**
   * Where the store tells of trouble it survives (a connection the pool lost, a thread that failed):
   * the collector's logger. Nothing is swallowed in silence.
   */
  warn?: (message: string, error: unknown) => void;
}

/** The query time limit when none is given. */
export const DEFAULT_QUERY_TIMEOUT_MS = 5000;
