import { afterEach, describe, expect, test, vi } from 'vitest';
import { backoff, isRetryable, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/protocol/retry';

// The delivery rules both clients share (README "Delivery: nothing lost"): tested once, here.
afterEach(() => vi.restoreAllMocks());

describe('isRetryable', () => {
  test.each([0, 408, 429, 500, 502, 503, 504, 599])('%i is retried', (status) => expect(isRetryable(status)).toBe(true));
  test.each([200, 204, 301, 400, 401, 403, 404, 413, 422])('%i is final', (status) => expect(isRetryable(status)).toBe(false));
});

describe('parseRetryAfter', () => {
  test('delay-seconds, with the whitespace a header may carry', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
  });

  test('an HTTP date, in ms from now; a date in the past means now', () => {
    vi.spyOn(Date, 'now').mockReturnValue(Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'));
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT')).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:00:00 GMT')).toBe(0);
  });

  test(`capped at ${MAX_RETRY_AFTER_MS} ms: a misconfigured proxy cannot park a queue`, () => {
    expect(parseRetryAfter('86400')).toBe(MAX_RETRY_AFTER_MS);
  });

  test.each([null, undefined, '', 'soon', 'in a minute'])('%j is no answer', (header) => expect(parseRetryAfter(header)).toBeUndefined());
});

describe('backoff', () => {
  test('doubles from the base up to the cap, jittered over the upper half', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect([1, 2, 3, 4].map((n) => Math.round(backoff(n, 1000, 5000)))).toEqual([1000, 2000, 4000, 5000]);
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect([1, 2, 3, 4].map((n) => backoff(n, 1000, 5000))).toEqual([500, 1000, 2000, 2500]);
  });

  test('never in step: two clients at the same failure wait differently', () => {
    const waits = new Set(Array.from({ length: 20 }, () => backoff(3, 1000, 60_000)));
    expect(waits.size).toBeGreaterThan(15);
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(2000);
      expect(wait).toBeLessThanOrEqual(4000);
    }
  });
});
