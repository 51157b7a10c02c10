/**
 * Trouble the collector survives is said through its logger, never swallowed:
 * a PostgreSQL connection its pools lose, and `/healthz` answering 503, said
 * once when the store stops answering and once when it answers again. The
 * real CLI process on a real PostgreSQL database that the test closes.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { useHarness } from './helpers.js';
import { startCli } from './process.js';

const harness = useHarness();

const health = async (url: string) => (await fetch(`${url}/healthz`)).status;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the collector says what it survives', () => {
  it('PostgreSQL connections lost and /healthz 503s are logged, once per outage', async () => {
    const database = await harness.database('postgres');
    const name = new URL(database).pathname.slice(1);
    const admin = new pg.Client({ connectionString: database.replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    const cli = await startCli(['--database', database, '--log-level', 'warn']);
    try {
      expect(await health(cli.url)).toBe(200);
      // The database goes away under the collector: its connections are cut and no new one is let in.
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await sleep(300);
      for (let i = 0; i < 3; i++) expect(await health(cli.url)).toBe(503);
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      expect(await health(cli.url)).toBe(200);
      await sleep(200);
      const lines = cli.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; level: number });
      const said = (text: string) => lines.filter((line) => line.msg.includes(text));
      expect(said('a PostgreSQL connection of the').length).toBeGreaterThan(0);
      expect(said('healthz: the store does not answer')).toHaveLength(1);
      expect(said('healthz: the store answers again')).toHaveLength(1);
      expect(lines.every((line) => line.level >= 40)).toBe(true);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
      await admin.end();
    }
  });
});
