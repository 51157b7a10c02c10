import type { Logger } from './logger.js';
import type { ResolvedOptions } from './options.js';
import type { QueueStore } from './persistedQueue.js';
import type { SendResult } from './transport.js';
import { followPageLifecycle } from './lifecycle.js';
import { backoff, isRetryable } from '../protocol/retry.js';

/** A message as queued: serialised once at call time, so later changes by the page cannot alter it. */
export interface QueuedMessage {
  _json: string;
  /** UTF-8 bytes of `_json`. */
  _bytes: number;
}

/** The options the queue follows. */
export type QueueOptions = Pick<ResolvedOptions, 'batchSize' | 'flushInterval' | 'maxBatchBytes'>;

/** How batches leave: the batch body's size and the two ways to send one (envelope.ts). */
export interface Sender {
  /** Bytes of the envelope around the messages (`{"batch":[...],"sentAt":...}`). */
  _envelopeBytes: number;
  _send(batch: QueuedMessage[]): Promise<SendResult>;
  /** Hands a batch to the browser for delivery after the page is gone; false when refused. */
  _beacon(batch: QueuedMessage[]): boolean;
}

/** While the collector is unreachable the queue keeps this many messages; beyond it the oldest go. */
export const MAX_QUEUED = 1000;

/** Keeps `list` (queued messages, or calls held for consent) to {@link MAX_QUEUED}: the oldest go, and the loss is reported. */
export function keepBound(list: unknown[], logger: Logger): void {
  const lost = list.length - MAX_QUEUED;
  if (lost > 0) {
    list.splice(0, lost);
    logger._error('queue-full', undefined, lost);
  }
}

/** A browser's first retry after a second, then doubling up to a minute (README "Delivery: nothing lost"). */
const RETRY_BASE_MS = 1000;
const RETRY_CAP_MS = 60_000;
const SAVE_EVERY_MS = 1000;

/**
 * Holds messages until their batch is answered with a 2xx: a message leaves
 * the queue only then. One batch is in flight at a time, so order is kept
 * and no message is sent twice concurrently. `items` is the truth; the store
 * mirrors it at most once a second (coalesced), so `track()` stays cheap.
 * It takes over the messages gone tabs left in the store and follows the
 * page's life itself (closures, not methods: fewer bytes than a returned object).
 * `store` is the localStorage mirror; absent where storage is unusable (the queue then lives in memory).
 */
export function createQueue(options: QueueOptions, sender: Sender, logger: Logger, store: QueueStore | undefined) {
  let items: QueuedMessage[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending: Promise<void> | undefined;
  let failures = 0;
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  // Set at page hide: the stored copy is marked as free for the next page until the page is shown again.
  let released = false;

  // A save now makes the pending one needless.
  const save = () => {
    clearTimeout(saveTimer);
    saveTimer = undefined;
    // Refused (quota): the queue lives on in memory, and the next save tries again.
    store?._save(items, released);
  };
  // At most one write a second: the stored copy is the whole queue, and a full offline queue is
  // hundreds of KiB. Page hide, retries and clear() write at once; a crash loses at most the last second.
  const saveSoon = () => {
    if (store) saveTimer ??= setTimeout(save, SAVE_EVERY_MS);
  };

  // drain() clears the timer first thing.
  const schedule = (delay: number) => {
    timer ??= setTimeout(drain, delay);
  };

  /** The first batch of `list`: as many messages as the count and byte limits allow, at least one. */
  const head = (list: QueuedMessage[]) => {
    let bytes = sender._envelopeBytes;
    let count = 0;
    // Each message adds its bytes and a comma.
    while (count < list.length && count < options.batchSize && ((bytes += list[count]!._bytes + 1) <= options.maxBatchBytes || !count)) count++;
    return list.slice(0, count);
  };

  /** Sends batch after batch until the queue is empty or an attempt fails. */
  const drain = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    return (sending ??= (async () => {
      // Offline: hold everything; the `online` event starts the next drain.
      while (items.length && navigator.onLine !== false) {
        const batch = head(items);
        const { _status: status, _retryAfter: retryAfter } = await sender._send(batch);
        // Either way the stored copy is rewritten: an answered batch leaves it, and a retry refreshes its
        // heartbeat, so other tabs leave these messages alone.
        saveSoon();
        if (isRetryable(status)) {
          const delay = retryAfter ?? backoff(++failures, RETRY_BASE_MS, RETRY_CAP_MS);
          logger._debug('retry', status, delay | 0);
          schedule(delay);
          break;
        }
        // Answered for good: a 2xx, or a 4xx that a retry would only repeat (fetch exposes no status under 200).
        // The queue may have changed meanwhile (trimmed, restored, cleared). Both hold at most MAX_QUEUED
        // messages, once per answered batch: a scan, no Set (7 B gzip less on the npm path).
        items = items.filter((item) => !batch.includes(item));
        if (status < 300) {
          failures = 0;
          logger._debug('sent', batch.length, status);
        } else {
          logger._error('delivery', undefined, status, batch.length);
        }
      }
    })().finally(() => {
      sending = undefined;
    }));
  };

  /**
   * The page is being hidden and may never run again: hand every batch to
   * the browser (sendBeacon outlives the page). A beacon's fate is
   * unknowable, so the messages stay queued and stored: a later send or
   * the next page sends them again, and the collector drops the copy by
   * messageId. At-least-once, never lost.
   */
  const hide = (final: boolean) => {
    // Sticky until show(): at unload the page fires pagehide before visibilitychange (HTML
    // "unload a document"), and that later hide(false) must not take the release back.
    released ||= final;
    save();
    for (let rest = items, batch; rest.length && sender._beacon((batch = head(rest))); ) rest = rest.slice(batch.length);
  };

  /**
   * The page is back (from the back/forward cache): its messages are its own again, unless another page
   * took them over meanwhile (the page was away past the lease) and sends them itself.
   */
  const show = () => {
    if (store?._taken()) items = [];
    released = false;
    save();
  };

  /** Sends everything queued now; resolves once each batch was answered or an attempt failed. */
  const flush = async (): Promise<void> => {
    if (sending) await sending;
    await drain();
  };

  // A reload, a closed tab or a crash left messages in storage: they go out first, ahead of new ones.
  store?._adopt((messages) => {
    items.unshift(...messages);
    keepBound(items, logger);
    saveSoon();
    schedule(0);
  });
  followPageLifecycle(hide, show, flush);

  return {
    _push(message: QueuedMessage) {
      items.push(message);
      keepBound(items, logger);
      saveSoon();
      // After a failure the retry timer decides when to try again, not the next call.
      if (items.length >= options.batchSize && !failures) queueMicrotask(drain);
      else schedule(options.flushInterval);
    },
    _flush: flush,
    _clear() {
      items = [];
      save();
    },
  };
}
