/**
 * `GET /v1/timeseries?bucket=minute|hour|day&since=1h` (or `&from=&to=`, ISO
 * 8601): events per bucket, web and API apart, for the dashboard's chart.
 * Behind the dashboard token like the rest of the query API.
 */
import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../duration.js';
import { badRequest } from '../errors.js';
import type { SqlReader } from '../store/types.js';
import { BUCKETS, bucketRange, eventsOverTime, MAX_BUCKETS, type BucketName } from '../timeseries.js';
import { requireToken } from './query.js';

type Query = Record<string, string | undefined>;

/** How far back an answer reaches when neither `since` nor `from` is given. */
const DEFAULT_SPAN: Record<BucketName, number> = { minute: 60, hour: 48, day: 30 };

function readTime(query: Query, name: 'from' | 'to'): number | undefined {
  const text = query[name];
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw badRequest(`${name} must be an ISO 8601 time such as 2024-05-01T12:00:00Z`);
  return ms;
}

export async function timeSeriesRoutes(app: FastifyInstance, options: { reader: SqlReader; dashboardToken: string | null }): Promise<void> {
  requireToken(app, options.dashboardToken);

  app.get<{ Querystring: Query }>('/v1/timeseries', async (request) => {
    const bucket = (request.query.bucket ?? 'minute') as BucketName;
    if (!Object.hasOwn(BUCKETS, bucket)) throw badRequest('bucket must be minute, hour or day');
    if (request.query.since !== undefined && request.query.from !== undefined) throw badRequest('pass either since or from, not both');
    const size = BUCKETS[bucket];
    const to = readTime(request.query, 'to') ?? Date.now();
    // A span back from `to` is that many buckets, ending with the one that holds `to`.
    let span = DEFAULT_SPAN[bucket] * size;
    if (request.query.since !== undefined) {
      const since = parseDuration(request.query.since);
      if (since === null) throw badRequest('since must be a duration such as 1h, 24h or 7d');
      span = Math.max(since, size);
    }
    const from = readTime(request.query, 'from') ?? Math.floor(to / size) * size + size - span;
    if (from > to) throw badRequest('from must not be after to');
    if (bucketRange(bucket, from, to).count > MAX_BUCKETS) throw badRequest(`that is more than ${MAX_BUCKETS} ${bucket}s; pick a larger bucket or a shorter span`);
    return eventsOverTime(options.reader, bucket, from, to);
  });
}
