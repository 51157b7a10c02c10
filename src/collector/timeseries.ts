/**
 * Events over time for the dashboard's chart: counts per minute, hour or
 * day, web and API apart, one SQL statement on both stores.
 *
 * Buckets are aligned to UTC multiples of their size and come back
 * contiguous (empty ones as zeros), so a chart needs no gap filling. Event
 * time is the stored, skew-corrected `timestamp`.
 */
import type { SqlReader } from './store/types.js';

export const BUCKETS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type BucketName = keyof typeof BUCKETS;
/** At most this many buckets per answer. */
export const MAX_BUCKETS = 1500;

export interface TimeSeries {
  bucket: BucketName;
  /** Start of the first bucket and end of the last one, ISO 8601. */
  from: string;
  to: string;
  buckets: { at: string; web: number; api: number }[];
}

/** The buckets from the one that holds `fromMs` to the one that holds `toMs`, both included. */
export function bucketRange(bucket: BucketName, fromMs: number, toMs: number): { from: number; to: number; count: number } {
  const size = BUCKETS[bucket];
  const from = Math.floor(fromMs / size) * size;
  const to = Math.max(from, Math.floor(toMs / size) * size) + size;
  return { from, to, count: (to - from) / size };
}

/**
 * Counts per slot and source; parameters: first bucket start, bucket size,
 * range start, range end. better-sqlite3 binds numbers as REAL, so the
 * division is made whole by a cast on both databases. Read from the
 * `events_time` index (schema.ts).
 */
export const EVENTS_OVER_TIME_SQL = `SELECT CAST((ts - ?) / ? AS INTEGER) AS slot, source, COUNT(*) AS n FROM events
     WHERE ts >= ? AND ts < ? GROUP BY slot, source`;

/** Counts per bucket and source of the events in the buckets from `fromMs` to `toMs` (see {@link bucketRange}). */
export async function eventsOverTime(db: SqlReader, bucket: BucketName, fromMs: number, toMs: number): Promise<TimeSeries> {
  const size = BUCKETS[bucket];
  const range = bucketRange(bucket, fromMs, toMs);
  const rows = await db.all<{ slot: number; source: string; n: number }>(EVENTS_OVER_TIME_SQL, [range.from, size, range.from, range.to]);
  const buckets = Array.from({ length: range.count }, (_, i) => ({ at: new Date(range.from + i * size).toISOString(), web: 0, api: 0 }));
  for (const row of rows) {
    const slot = buckets[Number(row.slot)];
    if (slot) slot[row.source === 'web' ? 'web' : 'api'] += Number(row.n);
  }
  return { bucket, from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), buckets };
}
