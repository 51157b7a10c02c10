/**
 * Fuzz: over 10,000 generated bad requests through fastify.inject, plus a
 * slice over real HTTP. No crash, no hang, no 5xx: each answer is a 4xx or a
 * 200 listing `rejected`; nothing reaches Object.prototype; and a good batch
 * sent afterwards is stored intact.
 */
import { describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/index.js';
import { badToken, generator, random, type BadRequest } from './fuzz.js';
import { get, send, STORE_KINDS, track, useHarness, type Msg } from './helpers.js';

const harness = useHarness();
const SEED = Number(process.env.IDSTITCH_FUZZ_SEED ?? 20240501);
const INJECTED = { sqlite: 10_000, postgres: 1_000 } as const;
const OVER_HTTP = 300;

interface Answer { status: number; body: string }

function judge(request: BadRequest, answer: Answer, index: number): string | null {
  const where = `#${index} ${request.kind} ${request.url} (seed ${SEED})`;
  if (answer.status >= 400 && answer.status < 500) return null;
  if (answer.status === 200) {
    const body = JSON.parse(answer.body) as { ok?: boolean; rejected?: unknown[] };
    if (body.ok === true && Array.isArray(body.rejected) && body.rejected.length > 0) return null;
    return `${where}: 200 without rejected: ${answer.body.slice(0, 200)}`;
  }
  return `${where}: status ${answer.status}: ${answer.body.slice(0, 200)}`;
}

async function withDeadline<T>(work: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`hang: ${what}`)), ms); });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A varied good batch, then each message read back from the timeline. */
async function expectGoodBatchStoredIntact(c: Collector): Promise<void> {
  const props = (i: number): Msg => ({ i, text: `ünïcødé ✓ 🙂 <b>${i}</b>`, nested: { list: [1, 'two', { three: null }], flag: i % 2 === 0 }, big: 'q'.repeat(i * 20) });
  const messages = Array.from({ length: 100 }, (_, i) => track({ anonymousId: 'after-fuzz', userId: 'after-fuzz-user' }, `Good ${i}`, { properties: props(i), timestamp: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString() }));
  const answer = await send(c, messages, { sentAt: undefined });
  expect(answer).toMatchObject({ status: 200, body: { ok: true } });
  expect(answer.body.rejected).toBeUndefined();
  const events = (await get(c, '/v1/users/after-fuzz-user/events?limit=1000')).body.events as Msg[];
  expect(events).toHaveLength(100);
  events.forEach((e, i) => {
    expect(e.event).toBe(`Good ${i}`);
    expect(e.messageId).toBe(messages[i]!.messageId);
    expect(e.properties).toEqual(props(i));
  });
}

describe.each(STORE_KINDS)('fuzzing ingest on %s', (kind) => {
  it(`${INJECTED[kind].toLocaleString('en')} bad requests through inject: no 5xx, no hang, no pollution`, { timeout: 240_000 }, async () => {
    const c = await harness.collector(kind);
    const next = generator(SEED + (kind === 'sqlite' ? 0 : 1));
    const failures: string[] = [];
    const kinds = new Map<string, number>();
    for (let i = 0; i < INJECTED[kind]; i++) {
      const request = next(i % 500 === 0);
      kinds.set(request.kind, (kinds.get(request.kind) ?? 0) + 1);
      const response = await withDeadline(c.app.inject({ method: 'POST', url: request.url, headers: request.headers, payload: request.payload }), `#${i} ${request.kind}`);
      const failure = judge(request, { status: response.statusCode, body: response.body }, i);
      if (failure) failures.push(failure);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(kinds.size).toBe(14);
    console.log(`fuzz on ${kind}: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await get(c, '/healthz')).body).toEqual({ ok: true });
    if (kind === 'sqlite') {
      const profile = (await get(c, '/v1/users/proto-user')).body;
      expect(Object.keys(profile.traits)).toEqual(['prototype']);
    }
    await expectGoodBatchStoredIntact(c);
  });

  it(`${OVER_HTTP} bad requests over real HTTP, then a good batch`, { timeout: 120_000 }, async () => {
    const c = await harness.collector(kind, { port: 0 });
    const url = await c.listen();
    const next = generator(SEED + 7);
    const failures: string[] = [];
    for (let i = 0; i < OVER_HTTP; i++) {
      const request = next(i % 100 === 0);
      const answer = await withDeadline((async () => {
        const response = await fetch(`${url}${request.url}`, { method: 'POST', headers: request.headers, body: new Uint8Array(request.payload) });
        return { status: response.status, body: await response.text() };
      })(), `#${i} ${request.kind}`);
      const failure = judge(request, answer, i);
      if (failure) failures.push(failure);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    await expectGoodBatchStoredIntact(c);
  });
});

describe.each(STORE_KINDS)('fuzzing identity tokens on %s (verification on)', (kind) => {
  it('2,000 batches of user ids with bad tokens: never a 5xx, those without an anonymous id refused as unverified, no user ever made', { timeout: 120_000 }, async () => {
    const c = await harness.collector(kind, { identitySecrets: ['fuzz-secret-0123456789'] });
    const rnd = random(SEED + 11);
    for (let i = 0; i < 2000; i++) {
      const messages: Msg[] = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, k) => {
        const message = track({ userId: `fuzz-user-${i % 7}`, ...(rnd() < 0.5 ? { anonymousId: `fuzz-device-${i}` } : {}) }, 'Fuzzed');
        return { ...message, context: { ...(message.context as Msg), identityToken: badToken(rnd) }, messageId: `tok-${i}-${k}` };
      });
      const answer = await withDeadline(send(c, messages), `token batch #${i}`);
      const refused = messages.flatMap((m, index) => (m.anonymousId === undefined ? [{ index, reason: 'unverified' }] : []));
      expect(answer.status, `token batch #${i}`).toBe(200);
      expect(answer.body, `token batch #${i}`).toEqual(refused.length ? { ok: true, rejected: refused } : { ok: true });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await get(c, '/v1/stats')).body.identifiedUsers).toBe(0);
    for (let u = 0; u < 7; u++) expect((await get(c, `/v1/users/fuzz-user-${u}`)).status).toBe(404);
  });
});
