import { parseRetryAfter } from '../protocol/retry.js';
import { attempt } from './attempt.js';

/** What became of one POST: the HTTP status (0 for a network error) and the server's Retry-After in ms. */
export interface SendResult {
  _status: number;
  _retryAfter?: number | undefined;
}

/**
 * A POST of a batch body. A string body goes out as `text/plain;charset=UTF-8`
 * (Fetch "extract a body", as sendBeacon sends it), which keeps it a CORS
 * "simple request": no preflight, half the round trips (Segment's
 * analytics.js does the same). No header is set, so none can break that.
 */
const post = (endpoint: string, body: string, keepalive?: boolean) => fetch(endpoint, { method: 'POST', body, credentials: 'omit', keepalive });

export async function postBatch(endpoint: string, body: string): Promise<SendResult> {
  try {
    const response = await post(endpoint, body);
    return { _status: response.status, _retryAfter: parseRetryAfter(response.headers.get('Retry-After')) };
  } catch {
    return { _status: 0 };
  }
}

/**
 * Hands a body to the browser to deliver after the page is gone: sendBeacon,
 * or a keepalive fetch where the beacon is refused (over its quota, or
 * missing). Both cap a body at 64 KiB, which `maxBatchBytes` stays under.
 * False when neither would take it.
 */
export const beaconBatch = (endpoint: string, body: string): boolean =>
  attempt(() => {
    if (!navigator.sendBeacon?.(endpoint, body)) post(endpoint, body, true).catch(() => {});
    return true;
  }, false);
