/**
 * The delivery thread's fail-over: a thread that cannot start, or that dies
 * holding messages, hands delivery back to the event loop. Nothing else is
 * lost, the loss is counted and reported, and delivery goes on to the real
 * collector. (The working thread is covered by every other server test, and
 * the built one by test/package/server-dist.test.ts.)
 */
import { afterEach, expect, it } from 'vitest';
import { createThreadDeliverer } from '../../src/server/delivery/thread.js';
import { messageBytes } from '../../src/server/delivery/local.js';
import { stampedJson } from '../../src/server/messageJson.js';
import { resolveClientOptions } from '../../src/server/options.js';
import type { Deliverer } from '../../src/server/delivery/local.js';
import { errorLog, startCollector, storedEventually, type RunningCollector } from './helpers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function setUp(script: string): Promise<{ collector: RunningCollector; deliverer: Deliverer; log: ReturnType<typeof errorLog>; push(event: string): void }> {
  const collector = await startCollector();
  open.push(collector);
  const { onError: _onError, thread: _thread, ...options } = resolveClientOptions({ endpoint: collector.endpoint, flushInterval: 20 });
  const log = errorLog();
  const deliverer = createThreadDeliverer(options, log.onError, () => ({ script }));
  open.push(deliverer);
  const push = (event: string) => {
    const fields = { type: 'track', userId: 'u_thread', event };
    const json = stampedJson(fields, null, new Date().toISOString());
    deliverer.push({ json, bytes: messageBytes(json, 'track', log.onError)! });
  };
  return { collector, deliverer, log, push };
}

it('a thread that cannot start: every message is delivered from the event loop, and that is reported once', async () => {
  const { collector, deliverer, log, push } = await setUp('throw new Error("no thread today")');
  for (const event of ['A', 'B', 'C']) push(event);
  await deliverer.flush();
  const stored = await storedEventually(collector, 3);
  expect(stored.map((m) => m.event)).toEqual(['A', 'B', 'C']);
  expect(log.codes()).toEqual(['thread']);
  expect(log.errors[0]!.message).toMatch(/could not start \(no thread today\); delivering on the event loop instead/);
  expect(deliverer.stats()).toEqual({ queued: 0, sent: 3, dropped: 0, refused: 0 });
});

it('a thread that dies holding messages: those are counted as dropped and reported, the later ones are delivered', async () => {
  // Ready, then gone as soon as it is handed messages.
  const script = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', () => process.exit(3));
    parentPort.postMessage({ ready: true });`;
  const { collector, deliverer, log, push } = await setUp(script);
  push('held 1');
  push('held 2');
  await expect.poll(() => log.codes(), { timeout: 5000 }).toEqual(['thread']);
  expect(log.errors[0]!.message).toMatch(/stopped \(exit code 3\); 2 messages it held are lost; delivering on the event loop instead/);
  push('after 1');
  push('after 2');
  await deliverer.flush();
  const stored = await storedEventually(collector, 2);
  expect(stored.map((m) => m.event)).toEqual(['after 1', 'after 2']);
  expect(deliverer.stats()).toEqual({ queued: 0, sent: 2, dropped: 2, refused: 0 });
});

it('close() right after the first messages, with a thread that fails to start: they are delivered from the event loop and close() resolves', async () => {
  const { collector, deliverer, log, push } = await setUp('throw new Error("no thread today")');
  push('A');
  push('B');
  await deliverer.close();
  expect((await storedEventually(collector, 2)).map((m) => m.event)).toEqual(['A', 'B']);
  expect(log.codes()).toEqual(['thread']);
  expect(deliverer.stats()).toEqual({ queued: 0, sent: 2, dropped: 0, refused: 0 });
});

it('a thread that dies while a flush waits: what it held is counted and reported, the flush resolves, delivery goes on', async () => {
  // Takes messages and never sends them; dies when asked to flush.
  const script = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (message) => { if ('flush' in message) process.exit(5); });
    parentPort.postMessage({ ready: true });`;
  const { collector, deliverer, log, push } = await setUp(script);
  push('held 1');
  push('held 2');
  await deliverer.flush();
  expect(log.codes()).toEqual(['thread']);
  expect(log.errors[0]!.message).toMatch(/stopped \(exit code 5\); 2 messages it held are lost/);
  push('after');
  await deliverer.close();
  expect((await storedEventually(collector, 1)).map((m) => m.event)).toEqual(['after']);
  expect(deliverer.stats()).toEqual({ queued: 0, sent: 1, dropped: 2, refused: 0 });
});

it('a thread that dies while close() waits: what it held is counted and reported, and close() resolves', async () => {
  // Takes messages and never sends them; dies when asked to close.
  const script = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (message) => { if ('close' in message) process.exit(6); });
    parentPort.postMessage({ ready: true });`;
  const { deliverer, log, push } = await setUp(script);
  push('held 1');
  push('held 2');
  await deliverer.close();
  expect(log.codes()).toEqual(['thread']);
  expect(log.errors[0]!.message).toMatch(/stopped \(exit code 6\); 2 messages it held are lost/);
  expect(deliverer.stats()).toEqual({ queued: 0, sent: 0, dropped: 2, refused: 0 });
});
