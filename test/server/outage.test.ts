/**
 * The collector down, then up: the API keeps answering as usual, messages
 * wait in the bounded queue, and all of them arrive once the collector is
 * back. No timings are asserted: only statuses and what arrives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createServerClient, type ServerClient } from '../../src/server/index.js';
import { FRAMEWORKS, startApp, type App } from './apps.js';
import { errorLog, freePort, startCollector, storedEventually, type RunningCollector } from './helpers.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function burst(apps: App[], user: string, count: number, from = 0): Promise<number[]> {
  const statuses: number[] = [];
  // 10 at a time per app, like a modest real load.
  for (let i = from; i < from + count; i += 10) {
    const wave = apps.flatMap((app) => Array.from({ length: Math.min(10, from + count - i) }, (_, k) =>
      fetch(`${app.url}/users/${i + k}`, { headers: { 'x-user': user } }).then(async (r) => (await r.text(), r.status))));
    statuses.push(...(await Promise.all(wave)));
  }
  return statuses;
}

async function setUp(port: number) {
  const log = errorLog();
  const client: ServerClient = createServerClient({ endpoint: `http://127.0.0.1:${port}/v1/batch`, flushInterval: 20, maxRetryDelay: 200, onError: log.onError });
  cleanup.push(() => client.close());
  const apps = await Promise.all(FRAMEWORKS.map((framework) =>
    startApp(framework, { client, identifyUser: (req) => req.headers['x-user'] as string })));
  for (const app of apps) cleanup.push(() => app.close());
  return { client, apps, log };
}

it('requests are served while the collector is down; every message arrives once it starts', async () => {
  const port = await freePort();
  const { client, apps, log } = await setUp(port);

  const statuses = await burst(apps, 'u_outage', 100);
  expect(statuses).toHaveLength(300);
  expect(statuses.every((s) => s === 200)).toBe(true);
  expect(client.stats()).toMatchObject({ sent: 0, dropped: 0 });

  const collector = await startCollector(port);
  cleanup.push(() => collector.close());
  const calls = await storedEventually(collector, 300, (m) => m.event === 'API Call');
  expect(calls).toHaveLength(300);
  expect(new Set(calls.map((m) => m.messageId)).size).toBe(300);
  expect((await collector.get('/v1/users/u_outage')).body).toMatchObject({ eventCount: 300, sources: { api: 300 } });
  expect(client.stats()).toEqual({ queued: 0, sent: 300, dropped: 0, refused: 0 });
  expect(log.errors).toEqual([]);
});

it('the collector stops mid-run and restarts on the same store: nothing is lost, nothing is stored twice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idstitch-outage-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const database = join(dir, 'store.db');
  const port = await freePort();
  const { client, apps } = await setUp(port);

  let collector: RunningCollector = await startCollector(port, database);
  const before = await burst(apps, 'u_restart', 20);
  await storedEventually(collector, 60);
  await collector.close();

  const during = await burst(apps, 'u_restart', 20, 20);
  collector = await startCollector(port, database);
  cleanup.push(() => collector.close());
  const after = await burst(apps, 'u_restart', 20, 40);

  expect([...before, ...during, ...after].every((s) => s === 200)).toBe(true);
  const calls = await storedEventually(collector, 180, (m) => m.event === 'API Call');
  expect(calls).toHaveLength(180);
  expect(new Set(calls.map((m) => m.messageId)).size).toBe(180);
  await client.close();
  expect(client.stats()).toMatchObject({ queued: 0, dropped: 0 });
});
