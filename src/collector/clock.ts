/**
 * Client clock-skew correction (README "The collector"), as Segment does it: the
 * client's own clock measured the gap between the call (`originalTimestamp`)
 * and the send (`sentAt`), and that gap is trusted while the absolute values
 * are not.
 */

/** A corrected time more than this far past `receivedAt` is not believed. */
export const MAX_FUTURE_MS = 86_400_000;

const MAX_DATE_MS = 8.64e15;

/** Milliseconds since the epoch for an ISO 8601 string; `null` for anything else. */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > 64 || !/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The event time: `receivedAt - (sentAt - originalTimestamp)` when the client
 * sent both, the original timestamp when only that, `receivedAt` when neither;
 * and `receivedAt` whenever the result lands more than a day in the future.
 */
export function correctedTimestamp(receivedAt: number, originalTimestamp: number | null, sentAt: number | null): number {
  if (originalTimestamp === null) return receivedAt;
  const corrected = sentAt === null ? originalTimestamp : receivedAt - (sentAt - originalTimestamp);
  // Past the range of Date (a hostile sentAt) it could not even be shown.
  if (corrected - receivedAt > MAX_FUTURE_MS || corrected < -MAX_DATE_MS) return receivedAt;
  return corrected;
}
