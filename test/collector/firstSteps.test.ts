/**
 * The funnel's first times under their integer keys (store/firstSteps.ts),
 * both stores: a link moves an anonymous id's first times to its user by
 * either path (a user without first times takes the anonymous id's key
 * over; one with them gets the earlier of each), the merged key is gone, an
 * erasure leaves no key of what it erased and counts the user again, and a
 * step nobody did yet counts nobody from there on.
 */
import { describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/index.js';
import { get, identify, msg, page, send, STORE_KINDS, track, useHarness } from './helpers.js';

const harness = useHarness();

const at = (ms: number, m: Record<string, unknown>) => ({ ...m, timestamp: new Date(Date.parse('2024-05-01T10:00:00.000Z') + ms).toISOString() });

/** Without sentAt, so event times are exactly the timestamps sent (no skew correction). */
async function put(c: Collector, messages: Record<string, unknown>[]): Promise<void> {
  expect((await send(c, messages, { sentAt: undefined })).status).toBe(200);
}

/** The first times as `step principal offset`, sorted, with offsets from the first one. */
async function firstTimes(c: Collector): Promise<string[]> {
  const rows = await c.store.reader.all<{ step: string; principal: string; ts: number }>('SELECT step, principal, ts FROM first_steps_by_key');
  const origin = Math.min(...rows.map((r) => Number(r.ts)));
  return rows.map((r) => `${r.step} ${r.principal} +${Number(r.ts) - origin}`).sort();
}

const principalKeys = async (c: Collector) =>
  (await c.store.reader.all<{ key: string }>('SELECT key FROM principal_ids ORDER BY key')).map((r) => r.key);

const funnel = async (c: Collector, steps: string) =>
  (await get(c, `/v1/funnel?steps=${encodeURIComponent(steps)}`)).body.steps.map((s: { users: number }) => s.users);

describe.each(STORE_KINDS)('funnel first times under integer keys (%s)', (kind) => {
  it('a first login takes the anonymous id\'s first times over; a second device\'s join them, the earlier of each; merged keys are gone', async () => {
    const c = await harness.collector(kind);
    await put(c, [at(0, page('laptop')), at(1, track({ anonymousId: 'laptop' }, 'Signed Up'))]);
    await put(c, [at(2, identify('laptop', 'ana'))]);
    expect(await firstTimes(c)).toEqual(['p u:ana +0', 't:Signed Up u:ana +1']);
    expect(await principalKeys(c)).toEqual(['u:ana']);

    // The phone's page view is later than the laptop's, its Invited is new.
    await put(c, [at(5, page('phone')), at(6, track({ anonymousId: 'phone' }, 'Invited')), at(7, track({ anonymousId: 'phone' }, 'Signed Up'))]);
    await put(c, [at(8, msg('alias', { previousId: 'phone', userId: 'ana' }))]);
    expect(await firstTimes(c)).toEqual(['p u:ana +0', 't:Invited u:ana +6', 't:Signed Up u:ana +1']);
    expect(await principalKeys(c)).toEqual(['u:ana']);
    expect(await funnel(c, 'page,Signed Up,Invited')).toEqual([1, 1, 1]);
  });

  it('erasing a linked device counts its user again without it; erasing the user leaves no key of them', async () => {
    const c = await harness.collector(kind);
    await put(c, [at(0, page('old-laptop')), at(1, identify('old-laptop', 'bo')), at(3, page('desk')), at(4, identify('desk', 'bo')),
      at(5, track({ userId: 'bo' }, 'Signed Up')), at(6, page('stranger'))]);
    expect(await firstTimes(c)).toEqual(['p a:stranger +6', 'p u:bo +0', 't:Signed Up u:bo +5']);
    expect((await c.app.inject({ method: 'DELETE', url: '/v1/anonymous/old-laptop' })).statusCode).toBe(200);
    expect(await firstTimes(c)).toEqual(['p a:stranger +3', 'p u:bo +0', 't:Signed Up u:bo +2']);
    expect((await c.app.inject({ method: 'DELETE', url: '/v1/users/bo' })).statusCode).toBe(200);
    expect(await principalKeys(c)).toEqual(['a:stranger']);
    expect(await funnel(c, 'page')).toEqual([1]);
  });

  it('a step nobody did yet counts nobody from there on, wherever it stands', async () => {
    const c = await harness.collector(kind);
    await put(c, [at(0, page('v')), at(1, track({ anonymousId: 'v' }, 'Signed Up'))]);
    expect(await funnel(c, 'page,Never Done,Signed Up')).toEqual([1, 0, 0]);
    expect(await funnel(c, 'Never Done,page')).toEqual([0, 0]);
    expect(await funnel(c, 'page,Signed Up')).toEqual([1, 1]);
  });
});
