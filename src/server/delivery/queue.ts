/**
 * The server's delivery loop, with the browser's rules (contract section 6)
 * minus the browser parts: batches by count and bytes, one batch in flight,
 * a message leaves the queue only after a 2xx, exponential backoff with
 * jitter and `Retry-After` on network errors, 408, 429 and 5xx, other 4xx
 * drop the batch and report it. The queue is bounded: while the collector is
 * down the oldest messages go, counted and reported.
 */
import { ServerError } from '../errors.js';
import type { ResolvedClientOptions } from '../options.js';
import { backoff, isRetryable } from '../../protocol/retry.js';
import type { SendResult } from './transport.js';

/** A message as queued: serialised once at call time. */
export interface QueuedMessage {
  json: string;
  bytes: number;
}

/** Counters since the client started. */
export interface DeliveryStats {
  /** Messages waiting to be sent. */
  queued: number;
  /** Messages the collector accepted. */
  sent: number;
  /** Messages lost: dropped from a full queue, or still unsent when `close()` gave up. */
  dropped: number;
  /** Messages the collector refused (a 4xx for their batch, or listed in `rejected`). */
  refused: number;
}

export interface DeliverySettings extends Pick<ResolvedClientOptions, 'batchSize' | 'flushInterval' | 'maxBatchBytes' | 'maxQueueSize' | 'maxRetryDelay' | 'closeTimeout'> {
  /** Builds the batch body around the serialised messages. */
  envelope(messages: string[]): string;
  /** Bytes the envelope adds around the messages. */
  envelopeBytes: number;
  send(body: string): Promise<SendResult>;
  report(error: ServerError): void;
}

const is2xx = (status: number) => status >= 200 && status < 300;

/** A timer that does not keep the process alive: shutdown goes through `close()`. */
function unrefTimer(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return timer;
}

/** A queued message and its place in line. */
type Entry = QueuedMessage & { seq: number };

export function createDelivery(settings: DeliverySettings) {
  // A FIFO as an array and a head index: dropping the oldest and removing a sent batch cost
  // O(batch), not O(queue), which matters with thousands queued under load or during an outage.
  const items: Entry[] = [];
  let head = 0;
  let seq = 0;
  const size = () => items.length - head;
  const compact = () => {
    if (head > 1024 && head * 2 > items.length) {
      items.splice(0, head);
      head = 0;
    }
  };
  const stats = { sent: 0, dropped: 0, refused: 0 };
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> | undefined;
  let failures = 0;
  /** Dropped since the last successful send: reported once when it starts, summed up when delivery resumes. */
  let droppedInOutage = 0;
  let lastDelay = 0;
  let closing: Promise<void> | undefined;
  let drainQueued = false;

  const clearTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const schedule = (delay: number) => {
    timer ??= unrefTimer(() => {
      timer = undefined;
      void drain(true);
    }, delay);
  };


  /** The head of the queue, as much as fits one batch (always at least one message). */
  const nextBatch = (): Entry[] => {
    let bytes = settings.envelopeBytes;
    let end = head;
    for (; end < items.length; end++) {
      const count = end - head;
      if (count === settings.batchSize || (count && bytes + items[end]!.bytes + 1 > settings.maxBatchBytes)) break;
      bytes += items[end]!.bytes + 1;
    }
    return items.slice(head, end);
  };

  /** Removes a sent batch: everything up to its last message (the oldest may have been dropped meanwhile, a full queue). */
  const remove = (batch: Entry[]) => {
    const last = batch[batch.length - 1]!.seq;
    while (head < items.length && items[head]!.seq <= last) head++;
    compact();
  };

  const accepted = (batch: Entry[], result: SendResult) => {
    failures = 0;
    remove(batch);
    const rejected = result.rejected ?? [];
    stats.sent += batch.length - rejected.length;
    stats.refused += rejected.length;
    if (rejected.length) {
      const reasons = rejected.map((r) => `#${r.index}: ${r.reason}`).join('; ');
      settings.report(new ServerError('delivery', `the collector refused ${rejected.length} of ${batch.length} messages: ${reasons}`));
    }
    if (droppedInOutage) {
      settings.report(new ServerError('queue-full', `delivery resumed; ${droppedInOutage} messages were dropped while the collector could not be reached`));
      droppedInOutage = 0;
    }
  };

  /**
   * Sends full batches while there are any; with `all` (the timer, `flush()`,
   * `close()`) also the partial batch of what was queued when it started.
   * Under load this keeps batches full instead of sending the few messages
   * that arrived during each round trip. Stops at a failed attempt (a retry
   * is scheduled); what is left waits for the next full batch or the timer.
   */
  const drain = (all: boolean): Promise<void> => {
    clearTimer();
    sending ??= (async () => {
      const until = seq - 1;
      let failed = false;
      while (size() && (size() >= settings.batchSize || (all && items[head]!.seq <= until))) {
        const batch = nextBatch();
        const result = await settings.send(settings.envelope(batch.map((item) => item.json)));
        if (is2xx(result.status)) {
          accepted(batch, result);
        } else if (isRetryable(result.status)) {
          failures++;
          // From the flush interval (at least 100 ms) up to `maxRetryDelay`.
          lastDelay = Math.round(result.retryAfterMs ?? backoff(failures, Math.max(settings.flushInterval, 100), settings.maxRetryDelay));
          if (!closing) schedule(lastDelay);
          failed = true;
          break;
        } else {
          remove(batch);
          stats.refused += batch.length;
          settings.report(new ServerError('delivery', `the collector answered ${result.status}: a batch of ${batch.length} messages was dropped`));
        }
      }
      if (!failed && size() && !closing) schedule(settings.flushInterval);
    })().finally(() => {
      sending = undefined;
    });
    return sending;
  };

  return {
    /** Queues a message; past `maxQueueSize` the oldest goes. */
    push(message: QueuedMessage): void {
      items.push({ json: message.json, bytes: message.bytes, seq: seq++ });
      if (size() > settings.maxQueueSize) {
        head++;
        compact();
        stats.dropped++;
        if (droppedInOutage++ === 0) {
          settings.report(new ServerError('queue-full', `queue full (${settings.maxQueueSize} messages): dropping the oldest until the collector answers`));
        }
      }
      // After a failure the retry timer decides when to try again, not the next call.
      if (size() >= settings.batchSize && !failures) {
        // One drain at a time: while a batch is in flight, the loop picks the next one up itself.
        if (!sending && !drainQueued) {
          drainQueued = true;
          queueMicrotask(() => {
            drainQueued = false;
            void drain(false);
          });
        }
      }
      else schedule(settings.flushInterval);
    },

    /** Sends everything queued now; resolves when each batch was answered or an attempt failed. Never rejects. */
    async flush(): Promise<void> {
      if (sending) await sending;
      await drain(true);
    },

    /**
     * Stops the timers and sends what is queued, retrying (with the same
     * delays) until `closeTimeout`; what is left then is dropped and reported.
     */
    close(): Promise<void> {
      closing ??= (async () => {
        const deadline = Date.now() + settings.closeTimeout;
        if (sending) await sending;
        for (;;) {
          clearTimer();
          await drain(true);
          const left = deadline - Date.now();
          if (!size() || left <= 0) break;
          // A plain (ref'd) timer: during shutdown the retry is what keeps the process alive.
          await new Promise((resolve) => setTimeout(resolve, Math.min(lastDelay, left)));
        }
        clearTimer();
        if (size()) {
          stats.dropped += size();
          settings.report(new ServerError('closed', `close(): ${size()} messages could not be delivered within ${settings.closeTimeout} ms`));
          items.length = head = 0;
        }
      })();
      return closing;
    },

    stats: (): DeliveryStats => ({ queued: size(), ...stats }),
  };
}
