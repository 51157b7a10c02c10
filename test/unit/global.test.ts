import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { IdstitchGlobal } from '../../src/browser/global';
import type { Message, TrackMessage } from '../../src/protocol/messages';
import { captureFetch, fakeTime, newEndpoint, spyConsole, UUID_V4, useCleanPage } from './helpers';
import type { Capture } from './helpers';

useCleanPage();

// vitest runs from the repository root (vitest.config.ts).
const SNIPPET = readFileSync(resolve(process.cwd(), 'src/browser/snippet.js'), 'utf8');
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const at = (seconds: number) => T0 + seconds * 1000;
const iso = (seconds: number) => new Date(at(seconds)).toISOString();

type Page = { idstitch?: unknown };
const page = window as unknown as Page;
const idstitch = () => page.idstitch as IdstitchGlobal;
/** The snippet's stub: an array of `[method, args, time]` with the recording methods on it. */
const stub = () => page.idstitch as unknown[][] & Record<string, (...args: unknown[]) => unknown>;

let capture: Capture;
let endpoint: string;

beforeEach(() => {
  delete page.idstitch;
  document.querySelectorAll('script').forEach((script) => script.remove());
  vi.resetModules();
  capture = captureFetch();
  endpoint = newEndpoint();
});

afterEach(() => {
  // The default tracker of this test must not send into the next one.
  const current = page.idstitch as Partial<IdstitchGlobal> | undefined;
  if (current && typeof current.optOut === 'function') current.optOut();
  delete page.idstitch;
});

const loadGlobal = () => import('../../src/browser/global');
const runSnippet = () => new Function(SNIPPET)();

async function sentMessages(): Promise<Message[]> {
  await idstitch().flush();
  return capture.messages();
}
const summary = (messages: Message[]) =>
  messages.map((m) => [m.type, (m as TrackMessage).event ?? null, m.userId, m.timestamp]);

describe('window.idstitch', () => {
  test('importing the module installs it with init, createTracker and every tracker method', async () => {
    await loadGlobal();
    const api = idstitch() as unknown as Record<string, unknown>;
    for (const method of [
      'init', 'createTracker', 'identifyUser', 'identifyCompany', 'setUserProperties', 'track', 'page', 'reset', 'flush',
      'optOut', 'optIn', 'getAnonymousId', 'getUserId', 'getCompanyId', 'getSessionId',
    ]) {
      expect(typeof api[method], method).toBe('function');
    }
  });

  test('before init: getters answer null, flush resolves, nothing is sent or stored', async () => {
    await loadGlobal();
    expect(idstitch().getAnonymousId()).toBeNull();
    expect(idstitch().getUserId()).toBeNull();
    expect(idstitch().getCompanyId()).toBeNull();
    expect(idstitch().getSessionId()).toBeNull();
    idstitch().track('waiting');
    await expect(idstitch().flush()).resolves.toBeUndefined();
    expect(capture.fetch).not.toHaveBeenCalled();
    expect(localStorage.length).toBe(0);
  });

  test('after init its methods act on the default tracker', async () => {
    await loadGlobal();
    idstitch().init({ endpoint, writeKey: 'wk_global' });
    expect(idstitch().getAnonymousId()).toMatch(UUID_V4);
    idstitch().identifyUser('user_1');
    idstitch().identifyCompany('acme');
    expect(idstitch().getUserId()).toBe('user_1');
    expect(idstitch().getCompanyId()).toBe('acme');
    idstitch().track('x');
    const messages = await sentMessages();
    expect(messages.map((m) => m.type)).toEqual(['identify', 'group', 'track']);
    expect(capture.sent[0]!.url).toBe(endpoint);
    expect(capture.sent[0]!.body.writeKey).toBe('wk_global');
  });

  test('autoPage: true works on init and on the global createTracker: the script tag bundles the feature', async () => {
    await loadGlobal();
    idstitch().init({ endpoint, autoPage: true });
    const other = idstitch().createTracker({ endpoint, writeKey: 'other', autoPage: true });
    history.pushState(null, '', '/next');
    await other.flush();
    const messages = await sentMessages();
    expect(messages.filter((m) => m.type === 'page').map((m) => m.context.page!.path).sort()).toEqual(['/', '/', '/next', '/next']);
  });

  test('a second init is ignored', async () => {
    await loadGlobal();
    idstitch().init({ endpoint, writeKey: 'first' });
    const anonymousId = idstitch().getAnonymousId();
    idstitch().init({ endpoint: newEndpoint(), writeKey: 'second' });
    expect(idstitch().getAnonymousId()).toBe(anonymousId);
    idstitch().track('x');
    await idstitch().flush();
    expect(capture.sent.map((s) => [s.url, s.body.writeKey])).toEqual([[endpoint, 'first']]);
  });

  test('calls made before init are held and replayed in order, at the times they were made', async () => {
    fakeTime(at(0));
    await loadGlobal();
    idstitch().track('first');
    vi.setSystemTime(at(1));
    idstitch().identifyUser('user_1', { plan: 'team' });
    vi.setSystemTime(at(2));
    idstitch().track('second');
    vi.setSystemTime(at(3));
    idstitch().page();
    vi.setSystemTime(at(10));
    idstitch().init({ endpoint });
    expect(summary(await sentMessages())).toEqual([
      ['track', 'first', null, iso(0)],
      ['identify', null, 'user_1', iso(1)],
      ['track', 'second', 'user_1', iso(2)],
      ['page', null, 'user_1', iso(3)],
    ]);
  });

  test('calls after init carry their own time', async () => {
    fakeTime(at(0));
    await loadGlobal();
    idstitch().init({ endpoint });
    vi.setSystemTime(at(5));
    idstitch().track('now');
    expect(summary(await sentMessages())).toEqual([['track', 'now', null, iso(5)]]);
  });

  test('init with invalid options: a console error, an inert default tracker, no throw', async () => {
    const logs = spyConsole();
    await loadGlobal();
    idstitch().track('held');
    expect(() => idstitch().init({ endpoint: 'not a url' })).not.toThrow();
    expect(logs.error).toHaveBeenCalled();
    expect(idstitch().getAnonymousId()).toBeNull();
    idstitch().track('x');
    await idstitch().flush();
    expect(capture.fetch).not.toHaveBeenCalled();
  });

  test('identifyUser(id, traits, { token }) reaches the default tracker: the token rides on that user\'s messages', async () => {
    await loadGlobal();
    idstitch().init({ endpoint });
    idstitch().identifyUser('user_1', { plan: 'team' }, { token: 'tok_global' });
    idstitch().track('x');
    expect((await sentMessages()).map((m) => [m.userId, m.context.identityToken])).toEqual([['user_1', 'tok_global'], ['user_1', 'tok_global']]);
  });

  test('createTracker and init with options whose getters throw (a Proxy): no throw, an inert tracker', async () => {
    spyConsole();
    await loadGlobal();
    const trap = () => {
      throw new Error('trap');
    };
    const proxy = new Proxy({}, { get: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
    const hostile = [proxy, null, { autoPage: true, get endpoint(): string { return trap(); } }] as never[];
    for (const options of hostile) expect(idstitch().createTracker(options).getAnonymousId()).toBeNull();
    expect(() => idstitch().init(proxy as never)).not.toThrow();
    expect(idstitch().getAnonymousId()).toBeNull();
  });

  test('createTracker on the global makes independent trackers', async () => {
    await loadGlobal();
    idstitch().init({ endpoint, writeKey: 'default' });
    const other = idstitch().createTracker({ endpoint: newEndpoint(), writeKey: 'other' });
    expect(other.getAnonymousId()).toMatch(UUID_V4);
    expect(other.getAnonymousId()).not.toBe(idstitch().getAnonymousId());
    other.optOut();
  });
});

describe('the snippet', () => {
  test('defines a stub queue with the recording methods and load()', () => {
    runSnippet();
    const queue = stub();
    expect(Array.isArray(queue)).toBe(true);
    for (const method of ['init', 'identifyUser', 'identifyCompany', 'setUserProperties', 'track', 'page', 'reset', 'flush', 'optOut', 'optIn', 'load']) {
      expect(typeof queue[method], method).toBe('function');
    }
  });

  test('records each call with its arguments and time', () => {
    fakeTime(at(0));
    runSnippet();
    stub().track('a', { n: 1 });
    vi.setSystemTime(at(2));
    stub().identifyUser('user_1');
    expect([...stub()]).toEqual([
      ['track', ['a', { n: 1 }], at(0)],
      ['identifyUser', ['user_1'], at(2)],
    ]);
  });

  test('load(src) appends an async script with that src', () => {
    runSnippet();
    stub().load('https://cdn.example/idstitch.min.js');
    const script = document.querySelector('script');
    expect(script).not.toBeNull();
    expect(script!.async).toBe(true);
    expect(script!.src).toBe('https://cdn.example/idstitch.min.js');
  });

  test('running it twice keeps the recorded calls', () => {
    runSnippet();
    stub().track('kept');
    runSnippet();
    expect(stub()).toHaveLength(1);
    expect(stub()[0]![0]).toBe('track');
  });

  test('the SDK replays the recorded calls in order with the times they were made', async () => {
    fakeTime(at(0));
    runSnippet();
    stub().track('landing');
    vi.setSystemTime(at(1));
    stub().init({ endpoint, writeKey: 'wk_snippet' });
    vi.setSystemTime(at(2));
    stub().identifyUser('user_1', { plan: 'team' });
    vi.setSystemTime(at(3));
    stub().identifyCompany('acme');
    vi.setSystemTime(at(4));
    stub().track('clicked', { button: 'buy' });
    vi.setSystemTime(at(30));
    await loadGlobal();
    expect(Array.isArray(page.idstitch)).toBe(false);
    const messages = await sentMessages();
    expect(summary(messages)).toEqual([
      ['track', 'landing', null, iso(0)],
      ['identify', null, 'user_1', iso(2)],
      ['group', null, 'user_1', iso(3)],
      ['track', 'clicked', 'user_1', iso(4)],
    ]);
    expect(messages.at(-1)!.context.groupId).toBe('acme');
    expect(capture.sent[0]!.body.writeKey).toBe('wk_snippet');
  });

  test('a recorded identifyUser keeps its token: the replayed identify and later messages carry it', async () => {
    runSnippet();
    stub().init({ endpoint });
    stub().track('anonymous');
    stub().identifyUser('user_1', { plan: 'team' }, { token: 'tok_snippet' });
    stub().track('clicked');
    expect(stub()[2]).toEqual(['identifyUser', ['user_1', { plan: 'team' }, { token: 'tok_snippet' }], expect.any(Number)]);
    await loadGlobal();
    expect((await sentMessages()).map((m) => [m.userId, m.context.identityToken])).toEqual([
      [null, undefined], ['user_1', 'tok_snippet'], ['user_1', 'tok_snippet'],
    ]);
  });

  test('recorded calls without an init wait for a later init', async () => {
    fakeTime(at(0));
    runSnippet();
    stub().track('early');
    vi.setSystemTime(at(5));
    await loadGlobal();
    expect(capture.fetch).not.toHaveBeenCalled();
    vi.setSystemTime(at(9));
    idstitch().init({ endpoint });
    expect(summary(await sentMessages())).toEqual([['track', 'early', null, iso(0)]]);
  });

  test('a reset recorded between two users splits them', async () => {
    runSnippet();
    stub().init({ endpoint });
    stub().identifyUser('alice');
    stub().reset();
    stub().track('anonymous again');
    await loadGlobal();
    const [alice, after] = await sentMessages();
    expect(alice!.userId).toBe('alice');
    expect(after!.userId).toBeNull();
    expect(after!.anonymousId).not.toBe(alice!.anonymousId);
  });

  test('a recorded call this SDK version does not know is skipped; the calls after it are still replayed', async () => {
    runSnippet();
    stub().init({ endpoint });
    stub().push(['alias', ['user_1'], Date.now()]); // a newer snippet's method, or a Segment-style call
    stub().track('after');
    await loadGlobal();
    expect((await sentMessages()).map((m) => (m as TrackMessage).event)).toEqual(['after']);
  });

  test('an unknown call held before init does not make init() throw', async () => {
    runSnippet();
    stub().push(['alias', ['user_1'], Date.now()]);
    await loadGlobal();
    expect(() => idstitch().init({ endpoint })).not.toThrow();
  });
});
