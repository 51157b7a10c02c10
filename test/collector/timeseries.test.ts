/**
 * `GET /v1/timeseries` on both stores: events per minute, hour or day, web
 * and API apart, contiguous buckets, bounds, refusals and the token.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { numberedParams, PG_SCHEMA } from '../../src/collector/store/postgres.js';
import { EVENTS_OVER_TIME_SQL, type TimeSeries } from '../../src/collector/timeseries.js';
import { apiCall, get, page, send, STORE_KINDS, track, useHarness, type Msg } from './helpers.js';
import type { Collector } from '../../src/collector/index.js';

const harness = useHarness();
const at = (iso: string, m: Msg) => ({ ...m, timestamp: iso });
/** Without sentAt, so event times are exactly the timestamps sent. */
const put = (c: Collector, messages: Msg[]) => send(c, messages, { sentAt: undefined });
const counts = (series: TimeSeries) => series.buckets.map((b) => [b.at.slice(11, 16), b.web, b.api]);

/** The query plan of the chart's statement over one hour, as text. */
async function chartPlan(kind: string, c: Collector, location: string): Promise<string> {
  const params = [0, 60_000, 0, 3_600_000];
  if (kind === 'sqlite') {
    return (await c.store.reader.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${EVENTS_OVER_TIME_SQL}`, params)).map((row) => row.detail).join('\n');
  }
  // On a few rows PostgreSQL rightly prefers a scan; with scans priced out it takes the index when there is one.
  const client = new pg.Client({ connectionString: location });
  await client.connect();
  try {
    await client.query(`SET search_path = ${PG_SCHEMA}`);
    await client.query('SET enable_seqscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${numberedParams(EVENTS_OVER_TIME_SQL)}`, params);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

describe.each(STORE_KINDS)('GET /v1/timeseries on %s', (kind) => {
  it('reads the time range from the events_time index instead of scanning every event', async () => {
    const location = await harness.database(kind);
    const c = await harness.collector(kind, { database: location });
    expect(await chartPlan(kind, c, location)).toMatch(kind === 'sqlite' ? /USING COVERING INDEX events_time/ : /Index Only Scan using events_time/);
  });

  it('counts per minute, web and API apart, with empty minutes as zeros', async () => {
    const c = await harness.collector(kind);
    await put(c, [
      at('2024-05-01T11:59:59.999Z', page('a')), // before the range
      at('2024-05-01T12:00:00.000Z', page('a')),
      at('2024-05-01T12:00:59.999Z', track({ anonymousId: 'a' }, 'Clicked')),
      at('2024-05-01T12:00:30.000Z', apiCall({ userId: 'u' })),
      at('2024-05-01T12:02:10.000Z', apiCall({ userId: 'u' })),
      at('2024-05-01T12:02:20.000Z', apiCall({ userId: 'u' })),
      at('2024-05-01T12:03:00.000Z', page('a')), // after the range
    ]);
    const { status, body } = await get<TimeSeries>(c, '/v1/timeseries?bucket=minute&from=2024-05-01T12:00:00Z&to=2024-05-01T12:02:59.999Z');
    expect(status).toBe(200);
    expect(body).toMatchObject({ bucket: 'minute', from: '2024-05-01T12:00:00.000Z', to: '2024-05-01T12:03:00.000Z' });
    expect(counts(body)).toEqual([['12:00', 2, 1], ['12:01', 0, 0], ['12:02', 0, 2]]);
  });

  it('counts per hour and per day; from and to are rounded out to whole buckets', async () => {
    const c = await harness.collector(kind);
    await put(c, [
      at('2024-05-01T10:15:00.000Z', page('a')),
      at('2024-05-01T10:45:00.000Z', apiCall({ anonymousId: 'a' })),
      at('2024-05-01T12:05:00.000Z', page('b')),
      at('2024-05-03T08:00:00.000Z', page('b')),
    ]);
    const hours = (await get<TimeSeries>(c, '/v1/timeseries?bucket=hour&from=2024-05-01T10:30:00Z&to=2024-05-01T12:10:00Z')).body;
    expect(hours.from).toBe('2024-05-01T10:00:00.000Z');
    expect(counts(hours)).toEqual([['10:00', 1, 1], ['11:00', 0, 0], ['12:00', 1, 0]]);
    const days = (await get<TimeSeries>(c, '/v1/timeseries?bucket=day&from=2024-05-01T00:00:00Z&to=2024-05-03T00:00:00Z')).body;
    expect(days.buckets).toEqual([
      { at: '2024-05-01T00:00:00.000Z', web: 2, api: 1 },
      { at: '2024-05-02T00:00:00.000Z', web: 0, api: 0 },
      { at: '2024-05-03T00:00:00.000Z', web: 1, api: 0 },
    ]);
  });

  it('by default and with ?since=, reaches back from now, ending with the current bucket', async () => {
    const c = await harness.collector(kind);
    const now = Date.now();
    await put(c, [at(new Date(now).toISOString(), page('a')), at(new Date(now - 10 * 60_000).toISOString(), apiCall({ userId: 'u' }))]);
    const byDefault = (await get<TimeSeries>(c, '/v1/timeseries')).body;
    expect(byDefault.bucket).toBe('minute');
    expect(byDefault.buckets).toHaveLength(60);
    expect(Date.parse(byDefault.to)).toBeGreaterThan(now);
    expect(byDefault.buckets.reduce((n, b) => n + b.web + b.api, 0)).toBe(2);
    const day = (await get<TimeSeries>(c, '/v1/timeseries?bucket=hour&since=24h')).body;
    expect(day.buckets).toHaveLength(24);
    expect(day.buckets.reduce((n, b) => n + b.web + b.api, 0)).toBe(2);
    expect((await get<TimeSeries>(c, '/v1/timeseries?bucket=hour')).body.buckets).toHaveLength(48);
    expect((await get<TimeSeries>(c, '/v1/timeseries?bucket=day')).body.buckets).toHaveLength(30);
  });

  it('refuses bad parameters with a reason', async () => {
    const c = await harness.collector(kind);
    for (const query of [
      'bucket=week', 'bucket=constructor', 'since=soon', 'since=0m', 'from=yesterday', 'to=later',
      'from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z', 'since=1h&from=2024-05-01T00:00:00Z', 'bucket=minute&since=30d',
    ]) {
      const answer = await get(c, `/v1/timeseries?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.reason, query).toBeTruthy();
    }
  });

  it('needs the dashboard token when one is set', async () => {
    const c = await harness.collector(kind, { dashboardToken: 's3cret' });
    expect((await get(c, '/v1/timeseries')).status).toBe(401);
    expect((await get(c, '/v1/timeseries?token=s3cret')).status).toBe(200);
  });
});
