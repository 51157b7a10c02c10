/**
 * When to send a batch again, the same for the browser SDK and the server
 * client (README "Delivery: nothing lost"): what is retried, how long to
 * wait, and how far a collector's `Retry-After` is believed. Written once,
 * as analytics-next keeps its delivery rules in its core package.
 */

/** Statuses worth another try: the network (0), a timeout, throttling, the server's trouble. Any other answer is final. */
export const isRetryable = (status: number): boolean => !status || status === 408 || status === 429 || status >= 500;

/** Longest `Retry-After` honoured: a misconfigured proxy must not park a queue for a day. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now; a date in the past means now. */
export function parseRetryAfter(header: string | null | undefined): number | undefined {
  // No header needs no case of its own: test() and Date.parse() read null and undefined as those words,
  // which, like '', are neither seconds nor a date (NaN).
  const ms = /^\s*\d+\s*$/.test(header!) ? +header! * 1000 : Date.parse(header!) - Date.now();
  return ms === ms ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

/**
 * The wait before attempt `failures + 1` when the collector gave no
 * `Retry-After` (one it gave is the wait): exponential backoff from `base`
 * up to `cap`, jittered over its upper half so a fleet of clients does not
 * retry in step.
 */
export const backoff = (failures: number, base: number, cap: number): number => Math.min(cap, base * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
