/** The `idstitch-collector` command: URLs on start, flag errors, and a clean stop that stores everything accepted. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, steadyLoad, storedMessageIds } from './process.js';
import { useHarness } from './helpers.js';

const harness = useHarness();

describe('idstitch-collector', () => {
  it('prints its URLs and serves /healthz over HTTP', async () => {
    const database = join(harness.dir, 'cli-urls.db');
    const cli = await startCli(['--database', database]);
    try {
      const out = cli.output();
      expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      for (const path of ['/v1/batch', '/v1/stats', '/healthz']) expect(out).toContain(`${cli.url}${path}`);
      expect(out).toContain(`store      sqlite ${database}`);
      const health = await fetch(`${cli.url}/healthz`);
      expect(await health.json()).toEqual({ ok: true });
    } finally {
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
    }
  });

  it('--help prints the flags; a bad flag exits 2 with a message naming it', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dashboard-token');
    const bad = await runCli(['--port', 'eighty']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port must be a whole number (got "eighty")');
    const env = await runCli([], { IDSTITCH_MEGA_USER_WINDOW: 'often' });
    expect(env.stderr).toContain('IDSTITCH_MEGA_USER_WINDOW must be a duration');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s under load it answers what it accepted, stores it, and exits 0', async (signal) => {
    const database = join(harness.dir, `cli-${signal}.db`);
    const cli = await startCli(['--database', database]);
    const load = steadyLoad(cli.url);
    await until(() => load.sent.length >= 40);
    cli.child.kill(signal);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    load.stop();
    const sent = await load.done;
    expect(cli.output()).toContain('everything accepted is stored');

    const stored = new Set(await storedMessageIds(database));
    const accepted = sent.filter((s) => s.status === 200);
    expect(accepted.length).toBeGreaterThanOrEqual(40);
    for (const { batch } of accepted) expect(batch.every((m) => stored.has(m.messageId))).toBe(true);
    // A batch is stored whole or not at all.
    for (const { batch, status } of sent) expect([0, batch.length], `status ${status}`).toContain(batch.filter((m) => stored.has(m.messageId)).length);
    expect(stored.size).toBeLessThanOrEqual(sent.length * 20);
  });
});

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
