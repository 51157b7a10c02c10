import { expect } from 'vitest';
import type { LocalCollector } from '../support/collector.js';

/** The two messages of serverSteps' `run` reached the collector, made by idstitch/server at `version`. */
export async function expectDelivered(collector: LocalCollector, run: string, version: string): Promise<void> {
  const [track] = await collector.rowsWhere('run', run);
  expect(track!.body).toMatchObject({ event: 'Dist', userId: 'u_dist', context: { library: { name: 'idstitch-node', version } } });
  const [call] = await collector.rowsWhere('path', `/${run}`);
  expect(call!.body).toMatchObject({
    type: 'track',
    event: 'API Call',
    userId: 'u_dist',
    properties: { method: 'GET', route: null, path: `/${run}`, status: 200, responseBytes: 5 },
    context: { library: { name: 'idstitch-node', version } },
  });
}
