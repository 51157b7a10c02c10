/**
 * What crosses between a client and its delivery thread. Messages travel as
 * one flat array of plain values: cloning it costs a fraction of cloning
 * objects, and the event loop pays for the clone.
 */
import type { DeliveryStats } from './queue.js';
import type { ServerErrorCode } from '../errors.js';
import type { ApiCallRecord } from '../messageJson.js';

/** Values per API call in the flat array; a serialised message takes two (its JSON, then its bytes). */
export const API_CALL_VALUES = 12;

/** Appends an API call's values to `into`, starting with its time (a number, which tells it from a message's JSON). */
export function packApiCall(into: unknown[], c: ApiCallRecord): void {
  into.push(c.at, c.anonymousId, c.userId, c.companyId, c.method, c.route, c.path, c.status, c.durationMs, c.requestBytes, c.responseBytes, c.aborted);
}

/** Reads the flat array back: each serialised message goes to `json`, each API call to `call`. Returns the count. */
export function unpackItems(items: unknown[], json: (json: string, bytes: number) => void, call: (c: ApiCallRecord) => void): number {
  let count = 0;
  for (let i = 0; i < items.length; count++) {
    if (typeof items[i] === 'string') {
      json(items[i] as string, items[i + 1] as number);
      i += 2;
      continue;
    }
    const v = items;
    call({
      at: v[i] as number, anonymousId: v[i + 1] as string | null, userId: v[i + 2] as string | null, companyId: v[i + 3] as string | null,
      method: v[i + 4] as string, route: v[i + 5] as string | null, path: v[i + 6] as string, status: v[i + 7] as number,
      durationMs: v[i + 8] as number, requestBytes: v[i + 9] as number | null, responseBytes: v[i + 10] as number, aborted: v[i + 11] as boolean,
    });
    i += API_CALL_VALUES;
  }
  return count;
}

/** The key of the thread's settings in `workerData`. */
export const DELIVERY_THREAD_KEY = 'idstitchDelivery';

/** To the thread. */
export type ToThread = { items: unknown[] } | { flush: number } | { close: number };

/** From the thread: ready for messages, counters (with how many messages it has received), an error to report, or the answer to a flush or close. */
export type FromThread =
  | { ready: true }
  | { stats: DeliveryStats; received: number }
  | { error: { code: ServerErrorCode; message: string } }
  | { done: number; stats: DeliveryStats; received: number };
