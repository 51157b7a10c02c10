// Regressions found in review of the SDK: each test failed before its fix.
import Cookies from 'js-cookie';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Key } from '../../src/browser/identity';
import { resolveOptions } from '../../src/browser/options';
import type { TrackerOptions } from '../../src/browser/options';
import { createTracker } from '../../src/browser/tracker';
import { checkId } from '../../src/protocol/ids';
import type { IdentifyMessage, Message, TrackMessage } from '../../src/protocol/messages';
import { anonymousIdCookieName, storagePrefix } from '../../src/protocol/storageKeys';
import { captureFetch, flushed, localEntries, ok, spyConsole, tracker, trackerWithCapture, useCleanPage } from './helpers';

useCleanPage();
afterEach(() => history.replaceState(null, '', '/'));

describe('errors that cannot even be printed never escape', () => {
  /** A value whose String() conversion throws: what a hostile getter or Proxy may throw. */
  const unprintable = Object.create(null) as object;
  const throwsUnprintable = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw unprintable; } });

  test.each([
    ['page', (t: ReturnType<typeof createTracker>) => t.page('Home', throwsUnprintable as never)],
    ['identifyUser', (t: ReturnType<typeof createTracker>) => t.identifyUser('user_1', throwsUnprintable as never)],
    ['setUserProperties', (t: ReturnType<typeof createTracker>) => t.setUserProperties(throwsUnprintable as never)],
    ['track', (t: ReturnType<typeof createTracker>) => t.track('x', throwsUnprintable as never)],
  ])('%s with a getter that throws an unprintable value does not throw', (_name, call) => {
    spyConsole();
    const { tracker: t } = trackerWithCapture();
    expect(() => call(t)).not.toThrow();
  });

  test('createTracker with options whose getters throw an unprintable value does not throw', () => {
    spyConsole();
    const options = new Proxy({}, { get() { throw unprintable; } });
    expect(() => createTracker(options as TrackerOptions)).not.toThrow();
  });
});

test('identifyUser whose traits cannot be read changes nothing (or identifies completely)', async () => {
  spyConsole();
  const { tracker: t, capture } = trackerWithCapture();
  const badTraits = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('getter'); } });
  t.identifyUser('user_1', badTraits);
  await t.flush();
  const announced = capture.messages().some((m) => m.type === 'identify' && m.userId === 'user_1');
  expect(t.getUserId() === 'user_1').toBe(announced);
});

test('a sibling reset of an anonymous visitor drops the traits set while anonymous', async () => {
  const capture = captureFetch();
  const prefix = storagePrefix('wk');
  localStorage.setItem(anonymousIdCookieName('wk'), '11111111-1111-4111-8111-111111111111');
  localStorage.setItem(prefix + Key.traits, JSON.stringify({ email: 'old@example.com' }));
  Cookies.set(anonymousIdCookieName('wk'), '22222222-2222-4222-8222-222222222222');
  const t = tracker({ writeKey: 'wk' });
  t.setUserProperties({ plan: 'free' });
  const [message] = await flushed(t, capture);
  expect((message as { traits: object }).traits).toEqual({ plan: 'free' });
});

describe('beforeSend edits stay on their own message', () => {
  test('a change beforeSend makes to one message does not leak into later messages', async () => {
    history.replaceState(null, '', '/?utm_source=news');
    const { tracker: t, capture } = trackerWithCapture({
      beforeSend: (m: Message) => {
        if (m.type === 'track' && m.event === 'first') {
          m.context.campaign!.source = 'rewritten';
          m.context.library.version = 'patched';
        }
        return m;
      },
    });
    t.track('first');
    t.track('second');
    const [, second] = (await flushed(t, capture)) as TrackMessage[];
    expect(second!.context.campaign).toEqual({ source: 'news' });
    expect(second!.context.library.version).not.toBe('patched');
  });

  test('beforeSend changing the traits of one identify does not leak into the next identify', async () => {
    let identifies = 0;
    const { tracker: t, capture } = trackerWithCapture({
      beforeSend: (m: Message) => {
        if (m.type === 'identify' && identifies++ === 0) m.traits.wireOnly = true;
        return m;
      },
    });
    t.identifyUser('user_1', { plan: 'team' });
    t.setUserProperties({ seats: 3 });
    const messages = (await flushed(t, capture)) as IdentifyMessage[];
    expect(messages[1]!.traits).toEqual({ plan: 'team', seats: 3 });
  });
});

test.each(['\u200bnull', 'null\u200b', '\u2060guest\u2060', '\ufeffnull', '\u00a0anon\u00a0', '\u200b__x'])(
  'placeholder %j hidden behind invisible characters is refused',
  (value) => expect(checkId(value).ok).toBe(false),
);

test.each([
  ['batchSize', 1.5],
  ['cookieDomain', 'example.com; path=/'],
  ['cookieDomain', 'https://example.com'],
  ['cookieDomain', 'example.com; secure=false; domain=evil.test'],
])('option %s = %j is refused with a message naming it', (name, value) => {
  const result = resolveOptions({ endpoint: 'https://collect.example.com/v1/batch', [name]: value });
  expect(typeof result).toBe('string');
  expect(result).toContain(`\`${name}\``);
});

describe('back/forward cache (issue: pagehide handed the queue over while the page was only cached)', () => {
  const hide = (persisted: boolean) => {
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted }));
    Object.defineProperty(document, 'hidden', { value: true, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  };
  const show = () => {
    Object.defineProperty(document, 'hidden', { value: false, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  };
  afterEach(() => Reflect.deleteProperty(document, 'hidden'));

  test('a page cached past the lease comes back without the messages another page took over: each is sent once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // A retry an hour away stands in for the cached page's frozen timers.
    const capture = captureFetch(() => new Response('', { status: 503, headers: { 'Retry-After': '3600' } }));
    const cached = tracker({ flushInterval: 10 });
    cached.track('held');
    await vi.advanceTimersByTimeAsync(50);
    hide(true);
    const stored = Object.keys(localEntries()).filter((key) => key.includes('q_'));
    expect(stored).toHaveLength(1);
    // Into the cache the page is not gone: its stored queue keeps a live heartbeat.
    expect(JSON.parse(localEntries()[stored[0]!]!).t).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(61_000);
    const answered = capture.sent.length;
    capture.respondWith(ok);
    const next = tracker({ flushInterval: 10 });
    await vi.advanceTimersByTimeAsync(50);
    await next.flush();
    show();
    await cached.flush();
    const held = capture.sent.slice(answered).flatMap((s) => s.body.batch).filter((m) => (m as { event?: string }).event === 'held');
    expect(held).toHaveLength(1);
  });
});
