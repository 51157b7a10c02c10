/** close() on SIGTERM, in a real process: what the API queued reaches the collector before the process exits. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { startCollector, storedMessages, type RunningCollector } from './helpers.js';

let collector: RunningCollector | undefined;
afterEach(async () => {
  await collector?.close();
});

it('a server that calls client.close() on SIGTERM delivers every queued API call, then exits 0', async () => {
  collector = await startCollector();
  const fixture = fileURLToPath(new URL('./fixtures/sigterm.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, collector.endpoint], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
  });
  const statuses = await Promise.all(Array.from({ length: 25 }, (_, i) => fetch(`${url}/orders/${i}`, { headers: { 'x-user': 'u_term', connection: 'close' } }).then((r) => r.status)));
  expect(statuses.every((s) => s === 200)).toBe(true);
  expect(await storedMessages(collector)).toHaveLength(0);

  child.kill('SIGTERM');
  const [code] = await exited;
  expect(code).toBe(0);
  const stored = await storedMessages(collector);
  expect(stored).toHaveLength(25);
  expect(new Set(stored.map((m) => m.properties.path)).size).toBe(25);
  expect(stored.every((m) => m.userId === 'u_term' && m.event === 'API Call')).toBe(true);
});
