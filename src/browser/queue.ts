import type { Logger } from './logger.js';
import type { QueueStore } from './persistedQueue.js';
import type { SendResult } from './transport.js';
import { isRetryable } from './transport.js';

/** A message as queued: serialised once at call time, so later changes by the page cannot alter it. */
export interface QueuedMessage {
  messageId: string;
  json: string;
  bytes: number;
}

export interface QueueOptions {
  batchSize: number;
  flushInterval: number;
  /** Largest batch body, envelope included. */
  maxBatchBytes: number;
  /** Bytes of the envelope around the messages (`{"batch":[...],"sentAt":...}`). */
  envelopeBytes: number;
  send(batch: QueuedMessage[]): Promise<SendResult>;
  /** Hands a batch to the browser for delivery after the page is gone; false when refused. */
  beacon(batch: QueuedMessage[]): boolean;
  /** The localStorage mirror; null where storage is unusable (the queue then lives in memory). */
  store: QueueStore | null;
  logger: Logger;
}

/** While the collector is unreachable the queue keeps this many messages; beyond it the oldest go. */
export const MAX_QUEUED = 1000;
const RETRY_BASE_MS = 1000;
const SAVE_EVERY_MS = 1000;
const RETRY_CAP_MS = 60_000;

/** Exponential backoff with jitter, so a fleet of browsers does not retry in step. */
export const retryDelay = (failures: number): number =>
  Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);

/**
 * Holds messages until their batch is answered with a 2xx: a message leaves
 * the queue only then. One batch is in flight at a time, so order is kept
 * and no message is sent twice concurrently. `items` is the truth; the store
 * mirrors it at most once a second (coalesced), so `track()` stays cheap.
 */
export function createQueue(options: QueueOptions) {
  const { logger, store } = options;
  const items: QueuedMessage[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending: Promise<void> | undefined;
  let failures = 0;
  let saveQueued = false;
  let warnedStorage = false;
  // Set at page hide: the stored copy is marked as free for the next page until the page is shown again.
  let released = false;

  const save = () => {
    saveQueued = false;
    if (store && !store.save(items, released) && !warnedStorage) {
      warnedStorage = true;
      logger.debug('queue not stored: storage full?');
    }
  };
  // At most one write a second: the stored copy is the whole queue, and a full offline queue is
  // hundreds of KiB. Page hide, retries and clear() write at once; a crash loses at most the last second.
  const saveSoon = () => {
    if (store && !saveQueued) {
      saveQueued = true;
      setTimeout(() => saveQueued && save(), SAVE_EVERY_MS);
    }
  };

  /** Keeps the bound: the oldest go first, and the loss is counted and reported. */
  const trim = () => {
    const lost = items.length - MAX_QUEUED;
    if (lost > 0) {
      items.splice(0, lost);
      logger.error('queue-full', `queue full: ${lost} oldest dropped`);
    }
  };

  const schedule = (delay: number) => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void drain();
    }, delay);
  };

  /** Consecutive batches from the head of the queue, each within the count and byte limits. */
  const batches = (limit = items.length): QueuedMessage[][] => {
    const all: QueuedMessage[][] = [];
    let batch: QueuedMessage[] = [];
    let bytes = options.envelopeBytes;
    for (const item of items.slice(0, limit)) {
      if (batch.length && (batch.length === options.batchSize || bytes + item.bytes + 1 > options.maxBatchBytes)) {
        all.push(batch);
        batch = [];
        bytes = options.envelopeBytes;
      }
      batch.push(item);
      bytes += item.bytes + 1;
    }
    if (batch.length) all.push(batch);
    return all;
  };

  const remove = (batch: QueuedMessage[]) => {
    const sent = new Set(batch);
    for (let i = items.length - 1; i >= 0; i--) if (sent.has(items[i]!)) items.splice(i, 1);
    saveSoon();
  };

  /** Sends batch after batch until the queue is empty or an attempt fails. */
  const drain = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    sending ??= (async () => {
      // Offline: hold everything; the `online` event starts the next drain.
      while (items.length && navigator.onLine !== false) {
        const batch = batches(options.batchSize)[0]!;
        const result = await options.send(batch);
        if (result.status >= 200 && result.status < 300) {
          failures = 0;
          remove(batch);
          logger.debug(`sent ${batch.length}: ${result.status}`);
        } else if (isRetryable(result.status)) {
          const delay = result.retryAfter ?? retryDelay(++failures);
          logger.debug(`send failed: ${result.status}, retry in ${delay | 0} ms`);
          // The retry also refreshes the stored heartbeat, so other tabs leave these messages alone.
          saveSoon();
          schedule(delay);
          break;
        } else {
          remove(batch);
          logger.error('delivery', `collector answered ${result.status}: ${batch.length} dropped`);
        }
      }
    })().finally(() => {
      sending = undefined;
    });
    return sending;
  };

  return {
    push(message: QueuedMessage) {
      items.push(message);
      trim();
      saveSoon();
      // After a failure the retry timer decides when to try again, not the next call.
      if (items.length >= options.batchSize && !failures) queueMicrotask(() => void drain());
      else schedule(options.flushInterval);
    },
    /** Takes over messages restored from storage (a reload, a crashed tab), ahead of new ones. */
    restore(messages: QueuedMessage[]) {
      items.unshift(...messages);
      trim();
      saveSoon();
      schedule(0);
    },
    /** Sends everything queued now; resolves once each batch was answered or an attempt failed. */
    async flush(): Promise<void> {
      if (sending) await sending;
      await drain();
    },
    /**
     * The page is being hidden and may never run again: hand every batch to
     * the browser (sendBeacon outlives the page). A beacon's fate is
     * unknowable, so the messages stay queued and stored: a later send or
     * the next page sends them again, and the collector drops the copy by
     * messageId. At-least-once, never lost.
     */
    hide(final: boolean) {
      // Sticky until show(): at unload the page fires pagehide before visibilitychange (HTML
      // "unload a document"), and that later hide(false) must not take the release back.
      released = final || released;
      save();
      for (const batch of batches()) if (!options.beacon(batch)) break;
    },
    /** The page is back (from the back/forward cache): its messages are its own again. */
    show() {
      released = false;
      save();
    },
    clear() {
      items.length = 0;
      save();
    },
  };
}
