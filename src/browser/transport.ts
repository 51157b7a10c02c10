/** What became of one POST: the HTTP status (0 for a network error) and the server's Retry-After in ms. */
export interface SendResult {
  status: number;
  retryAfter?: number;
}

const TEXT = { 'Content-Type': 'text/plain' };

/** `Retry-After` as seconds or an HTTP date, in ms from now (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const ms = /^\s*\d+\s*$/.test(header) ? Number(header) * 1000 : Date.parse(header) - Date.now();
  // A date in the past means "now"; an absurd wait is capped at an hour.
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(ms, 0), 3_600_000);
}

/**
 * POSTs a batch body. `text/plain` keeps it a CORS "simple request": no
 * preflight, half the round trips (Segment's analytics.js does the same).
 */
export async function postBatch(endpoint: string, body: string): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'POST', headers: TEXT, body, credentials: 'omit' });
  } catch {
    return { status: 0 };
  }
  return { status: response.status, retryAfter: parseRetryAfter(response.headers.get('Retry-After')) };
}

/**
 * Hands a body to the browser to deliver after the page is gone: sendBeacon,
 * or a keepalive fetch where the beacon is refused (over its quota, or
 * missing). Both cap a body at 64 KiB, which `maxBatchBytes` stays under.
 */
export function beaconBatch(endpoint: string, body: string): boolean {
  try {
    if (navigator.sendBeacon?.(endpoint, body)) return true;
    fetch(endpoint, { method: 'POST', headers: TEXT, body, credentials: 'omit', keepalive: true }).catch(() => {});
    return true;
  } catch {
    return false;
  }
}

/** Statuses worth another try: the network, the server's trouble, a timeout, throttling. */
export const isRetryable = (status: number): boolean => status === 0 || status === 408 || status === 429 || status >= 500;
