import type { Logger } from './logger.js';
import { IdstitchError } from './logger.js';
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
  logger: Logger;
}

const MAX_RETRY_DELAY_MS = 30_000;
/** While the collector is unreachable the queue keeps this many messages; beyond it the oldest go. */
export const MAX_QUEUED = 1000;

/**
 * Holds messages until their batch is answered with a 2xx: a message leaves
 * the queue only then. One batch is in flight at a time, so order is kept
 * and no message is sent twice concurrently. `items` is the single source of
 * truth, which a persistent store can mirror without changing the flow.
 */
export function createQueue(options: QueueOptions) {
  const items: QueuedMessage[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending: Promise<void> | undefined;
  let failures = 0;

  const schedule = (delay: number) => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void drain();
    }, delay);
  };

  /** The head of the queue, as much as fits one batch (always at least one message). */
  const nextBatch = (): QueuedMessage[] => {
    const batch: QueuedMessage[] = [];
    let bytes = options.envelopeBytes;
    for (const item of items) {
      if (batch.length === options.batchSize) break;
      if (batch.length && bytes + item.bytes + 1 > options.maxBatchBytes) break;
      batch.push(item);
      bytes += item.bytes + 1;
    }
    return batch;
  };

  const remove = (batch: QueuedMessage[]) => {
    const sent = new Set(batch);
    for (let i = items.length - 1; i >= 0; i--) if (sent.has(items[i]!)) items.splice(i, 1);
  };

  /** Sends batch after batch until the queue is empty or an attempt fails. */
  const drain = (): Promise<void> => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    sending ??= (async () => {
      while (items.length) {
        const batch = nextBatch();
        const result = await options.send(batch);
        if (result.status >= 200 && result.status < 300) {
          failures = 0;
          remove(batch);
          if (result.rejected?.length) {
            const reasons = result.rejected.map((r) => `#${r.index}: ${r.reason}`).join('; ');
            options.logger.error(new IdstitchError('delivery', `collector refused: ${reasons}`));
          }
          options.logger.debug(`sent ${batch.length}: ${result.status}`);
        } else if (isRetryable(result.status)) {
          failures++;
          const delay = Math.min(options.flushInterval * 2 ** failures, MAX_RETRY_DELAY_MS) || 1000;
          options.logger.debug(`send failed: ${result.status}, retry in ${delay} ms`);
          schedule(delay);
          break;
        } else {
          remove(batch);
          options.logger.error(new IdstitchError('delivery', `collector answered ${result.status}: ${batch.length} dropped`));
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
      if (items.length > MAX_QUEUED) {
        items.shift();
        options.logger.error(new IdstitchError('queue-full', `queue full: oldest of ${MAX_QUEUED} dropped`));
      }
      // After a failure the retry timer decides when to try again, not the next call.
      if (items.length >= options.batchSize && !failures) queueMicrotask(() => void drain());
      else schedule(options.flushInterval);
    },
    /** Sends everything queued now; resolves once each batch was answered or an attempt failed. */
    async flush(): Promise<void> {
      if (sending) await sending;
      await drain();
    },
    clear() {
      items.length = 0;
    },
  };
}
