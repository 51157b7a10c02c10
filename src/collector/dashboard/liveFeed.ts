/**
 * The live event log's source: an in-process publisher fed by the ingest
 * path once a batch is committed (see {@link publishingStore}), fanned out to
 * the dashboard's Server-Sent Events streams (routes/live.ts).
 *
 * Each collector instance streams what it ingested itself: with several
 * instances on one PostgreSQL database behind a load balancer, a dashboard
 * sees the traffic of the instance it is connected to, not the others'.
 *
 * Ingest must not slow down for viewers: a batch costs a few array pushes
 * here; events are formatted only when a stream wants them, at most
 * {@link MAX_PER_FLUSH} per flush, coalesced every {@link FLUSH_MS}.
 */
import { dedupeKey } from '../store/apply.js';
import type { ErasedIds } from '../store/erase.js';
import type { IngestResult, Store, StoredEvent } from '../store/types.js';

/** What the dashboard gets of each event: ids, names and a short text of its properties or traits. */
export interface LiveEvent {
  messageId: string;
  type: string;
  event: string | null;
  anonymousId: string | null;
  userId: string | null;
  companyId: string | null;
  source: 'web' | 'api';
  timestamp: string;
  receivedAt: string;
  /** `properties` (track, page) or `traits` (identify, group) as JSON, cut at {@link DETAIL_CHARS}. */
  detail: string;
}

/** A subscriber: gets each flush's events, and how many were left out since the last one. */
export type LiveListener = (events: LiveEvent[], dropped: number) => void;

export const FLUSH_MS = 100;
export const MAX_PER_FLUSH = 500;
/** Events replayed to a new stream, so the log is not empty on open. */
export const RECENT = 100;
export const DETAIL_CHARS = 300;

function detailOf(body: string, kind: string): string {
  try {
    const message = JSON.parse(body) as Record<string, unknown>;
    const value = kind === 'identify' || kind === 'group' ? message.traits : message.properties;
    const text = value === undefined ? '' : JSON.stringify(value);
    if (text === '{}') return '';
    return text.length > DETAIL_CHARS ? `${text.slice(0, DETAIL_CHARS)}…` : text;
  } catch {
    return '';
  }
}

export function toLiveEvent(e: StoredEvent): LiveEvent {
  return {
    messageId: e.messageId,
    type: e.kind,
    event: e.event,
    anonymousId: e.anonymousId,
    userId: e.userId,
    companyId: e.groupId,
    source: e.source,
    timestamp: new Date(e.timestamp).toISOString(),
    receivedAt: new Date(e.receivedAt).toISOString(),
    detail: detailOf(e.body, e.kind),
  };
}

export class LiveFeed {
  private readonly listeners = new Set<LiveListener>();
  private recent: StoredEvent[] = [];
  private pending: StoredEvent[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;

  /** Called after a batch is committed, with what the store said it did. */
  publish(events: readonly StoredEvent[], result: IngestResult): void {
    if (result.stored === 0) return;
    let fresh = events;
    // Refused as naming an erased id: not stored, so never shown.
    if (result.suppressed) {
      const refused = new Set(result.suppressed);
      fresh = events.filter((_, position) => !refused.has(position));
    }
    if (result.duplicates > 0) {
      // The store does not say which ones were repeats; skip the ones this instance published lately.
      const seen = new Set([...this.recent, ...this.pending].map((e) => dedupeKey(e.messageId, e.originalTimestamp)));
      fresh = fresh.filter((e) => !seen.has(dedupeKey(e.messageId, e.originalTimestamp)));
    }
    this.recent = [...this.recent, ...fresh.slice(-RECENT)].slice(-RECENT);
    if (!this.listeners.size) return;
    const room = MAX_PER_FLUSH - this.pending.length;
    if (fresh.length > room) {
      this.dropped += fresh.length - room;
      this.pending.push(...fresh.slice(fresh.length - room));
    } else {
      this.pending.push(...fresh);
    }
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /**
   * Drops what this instance holds of erased ids (README "Erasure"): the
   * recent events a new stream replays, and those waiting to go out. (A
   * stream that already showed them shows them until its page reloads.)
   */
  forget(ids: ErasedIds): void {
    const users = new Set(ids.userIds);
    const anonymous = new Set(ids.anonymousIds);
    // The events the erasure deleted (store/erase.ts): the users' own, and those without a user id of the anonymous ids.
    const erased = (e: StoredEvent) => (e.userId !== null ? users.has(e.userId) : e.anonymousId !== null && anonymous.has(e.anonymousId));
    this.recent = this.recent.filter((e) => !erased(e));
    this.pending = this.pending.filter((e) => !erased(e));
  }

  /** Adds a listener, first handing it the recent events; returns the unsubscribe function. */
  subscribe(listener: LiveListener): () => void {
    listener(this.recent.map(toLiveEvent), 0);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private flush(): void {
    this.timer = undefined;
    const events = this.pending.map(toLiveEvent);
    const dropped = this.dropped;
    this.pending = [];
    this.dropped = 0;
    for (const listener of this.listeners) listener(events, dropped);
  }

  /** Stops the pending flush (on close). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.listeners.clear();
  }
}

/** The store as the ingest routes see it: the same, plus a publish once each batch is committed. */
export function publishingStore(store: Store, feed: LiveFeed): Store {
  return {
    kind: store.kind,
    location: store.location,
    reader: store.reader,
    ingest: async (events) => {
      const result = await store.ingest(events);
      feed.publish(events, result);
      return result;
    },
    erase: async (target) => {
      const erasure = await store.erase(target);
      if (erasure) feed.forget(erasure.ids);
      return erasure;
    },
    backlog: () => store.backlog(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
