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

/** `Retry-After` as seconds or an HTTP date, in ms from now (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null): number | undefined {
  const ms = !header ? NaN : /^\s*\d+\s*$/.test(header) ? +header * 1000 : Date.parse(header) - Date.now();
  // A date in the past means "now"; an absurd wait is capped at an hour.
  return ms === ms ? Math.min(Math.max(ms, 0), 3_600_000) : undefined;
}

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
export function beaconBatch(endpoint: string, body: string): boolean {
  try {
    if (!navigator.sendBeacon?.(endpoint, body)) post(endpoint, body, true).catch(() => {});
    return true;
  } catch {
    return false;
  }
}

/** Statuses worth another try: the network, the server's trouble, a timeout, throttling. */
export const isRetryable = (status: number): boolean => !status || status === 408 || status === 429 || status >= 500;
