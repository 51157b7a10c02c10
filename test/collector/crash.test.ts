/**
 * Crash safety: SIGKILL the collector process during a steady load. After a
 * restart every message that had a 200 is stored; clients retry the rest and
 * nothing is stored twice.
 */
import { describe, expect, it } from 'vitest';
import { postBatch, startCli, steadyLoad, storedMessageIds } from './process.js';
import { STORE_KINDS, useHarness, walRestarts } from './helpers.js';

const harness = useHarness();

async function waitFor(condition: () => boolean, what = 'load did not get going', ms = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error(what);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const cases = [...STORE_KINDS.map((kind) => [kind, 'early'] as const), ['sqlite', 'after the WAL started over twice'] as const];

describe.each(cases)('SIGKILL under load on %s, %s', (kind, when) => {
  it('keeps every answered message, and retries store the rest exactly once', async () => {
    const database = await harness.database(kind);
    const first = await startCli(['--database', database]);
    const load = steadyLoad(first.url, 8);
    await waitFor(() => load.sent.filter((s) => s.status === 200).length >= 60);
    // The frames before a restart are overwritten by later ones: what they held must be in the database file by then.
    if (when !== 'early') await waitFor(() => walRestarts(database) >= 2, 'the WAL did not start over', 60_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    load.stop();
    const sent = await load.done;

    const answered = sent.filter((s) => s.status === 200);
    const unanswered = sent.filter((s) => s.status !== 200);
    expect(unanswered.length).toBeGreaterThan(0);
    const afterCrash = new Set(await storedMessageIds(database));
    for (const { batch } of answered) expect(batch.every((m) => afterCrash.has(m.messageId))).toBe(true);

    // Restart on the same store; clients retry what got no answer (and, to be sure, one answered batch).
    const second = await startCli(['--database', database]);
    try {
      for (const { batch } of [...unanswered, answered[0]!]) expect(await postBatch(second.url, batch)).toBe(200);
      const stats = await (await fetch(`${second.url}/v1/stats`)).json();
      expect(stats.events).toBe(sent.length * 20);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    const stored = await storedMessageIds(database);
    expect(stored.length).toBe(sent.length * 20);
    expect(new Set(stored).size).toBe(stored.length);
  });
});
