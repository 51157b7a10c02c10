// The browser half of verified identity (README "How identity is kept", CONTRACT section 10):
// identifyUser(userId, traits, { token }) keeps the token beside the user id and sends it on that user's messages.
import Cookies from 'js-cookie';
import { beforeEach, describe, expect, test } from 'vitest';
import { Key } from '../../src/browser/identity';
import type { Tracker } from '../../src/browser/tracker';
import type { Message } from '../../src/protocol/messages';
import { storagePrefix } from '../../src/protocol/storageKeys';
import { captureFetch, consoleLines, flushed, spyConsole, tracker, useCleanPage } from './helpers';
import type { Capture } from './helpers';

useCleanPage();

const WRITE_KEY = 'wk_token';
const prefix = storagePrefix(WRITE_KEY);
const TOKEN_KEY = prefix + Key.token;
const TOKEN = 'v1.dV84ZjJr.1893456000.3f9a0c';

let capture: Capture;
beforeEach(() => {
  capture = captureFetch();
});

const withKey = (options: Parameters<typeof tracker>[0] = {}) => tracker({ writeKey: WRITE_KEY, ...options });

/** [userId, context.identityToken] of every message sent so far. */
async function sent(t: Tracker): Promise<[string | null, unknown][]> {
  return (await flushed(t, capture)).map((m: Message) => [m.userId, m.context.identityToken]);
}

describe('identifyUser(userId, traits, { token })', () => {
  test('the identify and every later message of that user carry context.identityToken', async () => {
    const t = withKey();
    t.identifyUser('u_1', { plan: 'team' }, { token: TOKEN });
    t.track('Clicked');
    t.page();
    t.identifyCompany('acme');
    t.setUserProperties({ seats: 3 });
    expect(await sent(t)).toEqual([['u_1', TOKEN], ['u_1', TOKEN], ['u_1', TOKEN], ['u_1', TOKEN], ['u_1', TOKEN]]);
  });

  test('messages without a user id carry none: before the identify and after reset()', async () => {
    const t = withKey();
    t.track('Before');
    t.identifyUser('u_1', undefined, { token: TOKEN });
    t.reset();
    t.track('After');
    const messages = await flushed(t, capture);
    expect(messages.map((m) => [m.userId, 'identityToken' in m.context])).toEqual([[null, false], ['u_1', true], [null, false]]);
  });

  test('an identify without a token sends none', async () => {
    const t = withKey();
    t.identifyUser('u_1');
    t.track('x');
    expect(await sent(t)).toEqual([['u_1', undefined], ['u_1', undefined]]);
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  test('is kept across a reload (a new tracker on the same storage)', async () => {
    withKey().identifyUser('u_1', undefined, { token: TOKEN });
    const next = withKey();
    next.track('After reload');
    expect(await sent(next)).toEqual([['u_1', TOKEN]]);
  });

  test('is stored in localStorage with the user id it belongs to, and never in a cookie', async () => {
    const t = withKey();
    t.identifyUser('u_1', undefined, { token: TOKEN });
    expect(JSON.parse(localStorage.getItem(TOKEN_KEY)!)).toEqual(['u_1', TOKEN]);
    expect(document.cookie).toContain(prefix);
    expect(document.cookie).not.toContain(TOKEN);
    expect(Object.keys(Cookies.get())).not.toContain(TOKEN_KEY);
  });

  test("with persistence 'cookie' it lives in memory for the page, never in a cookie", async () => {
    const t = withKey({ persistence: 'cookie' });
    t.identifyUser('u_1', undefined, { token: TOKEN });
    t.track('x');
    expect(await sent(t)).toEqual([['u_1', TOKEN], ['u_1', TOKEN]]);
    expect(document.cookie).toContain(prefix);
    expect(document.cookie).not.toContain(TOKEN);
    expect(localStorage.length).toBe(0);
  });

  test('is not used when the stored user id differs: a sibling subdomain logged someone else in', async () => {
    const first = withKey();
    first.identifyUser('u_1', undefined, { token: TOKEN });
    // The sibling shares the cookie, not this origin's localStorage.
    Cookies.set(prefix + Key.userId, 'u_2');
    const next = withKey();
    expect(next.getUserId()).toBe('u_2');
    next.track('As u_2');
    expect(await sent(next)).toEqual([['u_2', undefined]]);
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  test('an unreadable stored token counts as none and throws nothing', async () => {
    withKey().identifyUser('u_1');
    for (const stored of ['{not json', '5', '{"u_1":"t"}', '["u_1",5]', '[null,"t"]', 'null']) {
      localStorage.setItem(TOKEN_KEY, stored);
      const t = withKey();
      expect(t.getUserId()).toBe('u_1');
      t.track(stored);
      expect((await sent(t)).at(-1)).toEqual(['u_1', undefined]);
    }
  });

  test('reset() forgets it, in this page and in storage', async () => {
    const t = withKey();
    t.identifyUser('u_1', undefined, { token: TOKEN });
    t.reset();
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    t.identifyUser('u_1');
    expect(await sent(t)).toEqual([['u_1', TOKEN], ['u_1', undefined]]);
    expect(withKey().getUserId()).toBe('u_1');
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  test('a split forgets the old token before the new identity, which may bring its own', async () => {
    const t = withKey();
    t.identifyUser('alice', undefined, { token: 'alice_token' });
    t.identifyUser('bob');
    t.track('Bob without a token');
    t.identifyUser('carol', undefined, { token: 'carol_token' });
    t.track('Carol');
    expect(await sent(t)).toEqual([
      ['alice', 'alice_token'], ['bob', undefined], ['bob', undefined], ['carol', 'carol_token'], ['carol', 'carol_token'],
    ]);
    expect(JSON.parse(localStorage.getItem(TOKEN_KEY)!)).toEqual(['carol', 'carol_token']);
  });

  test('the same user id without a token keeps it; with a new token replaces it', async () => {
    const t = withKey();
    t.identifyUser('u_1', undefined, { token: 'first' });
    t.identifyUser('u_1', { plan: 'team' });
    t.track('Kept');
    t.identifyUser('u_1', undefined, { token: 'second' });
    t.track('Replaced');
    expect(await sent(t)).toEqual([['u_1', 'first'], ['u_1', 'first'], ['u_1', 'first'], ['u_1', 'second'], ['u_1', 'second']]);
    expect(withKey().getUserId()).toBe('u_1');
    expect(JSON.parse(localStorage.getItem(TOKEN_KEY)!)).toEqual(['u_1', 'second']);
  });

  test.each([
    ['a number', 42],
    ['an object', { value: TOKEN }],
    ['null', null],
    ['empty', ''],
    ['over 512 chars', 'x'.repeat(513)],
  ])('a bad token (%s) warns, is ignored, and the identify still happens', async (_name, token) => {
    const logs = spyConsole();
    const t = withKey();
    t.identifyUser('u_1', undefined, { token: 'good' });
    t.identifyUser('u_1', { plan: 'team' }, { token } as never);
    t.identifyUser('u_1', undefined, { token } as never);
    const messages = await flushed(t, capture);
    expect(messages.map((m) => [m.type, m.userId, m.context.identityToken])).toEqual([
      ['identify', 'u_1', 'good'], ['identify', 'u_1', 'good'], ['identify', 'u_1', 'good'],
    ]);
    // Once per distinct message, like every warning.
    expect(consoleLines(logs.warn).filter((line) => line.includes('token'))).toEqual([
      '[idstitch] identifyUser: token must be a string of 1 to 512 chars',
    ]);
  });

  test('a token of exactly 512 characters is accepted', async () => {
    const t = withKey();
    t.identifyUser('u_1', undefined, { token: 'x'.repeat(512) });
    expect((await sent(t))[0]![1]).toBe('x'.repeat(512));
  });

  test('a throwing token getter leaves the identity as it was: no split, no token', async () => {
    const { error } = spyConsole();
    const t = withKey();
    t.identifyUser('alice', undefined, { token: 'alice_token' });
    const anonymousId = t.getAnonymousId();
    expect(() => t.identifyUser('bob', undefined, { get token(): string { throw new Error('getter'); } })).not.toThrow();
    expect([t.getUserId(), t.getAnonymousId()]).toEqual(['alice', anonymousId]);
    t.track('Still alice');
    expect(await sent(t)).toEqual([['alice', 'alice_token'], ['alice', 'alice_token']]);
    expect(error).toHaveBeenCalled();
  });

  test("another tab's new token for the same user reaches this tab's next message", async () => {
    const here = withKey();
    here.identifyUser('u_1', undefined, { token: 'first' });
    // Another tab of the same origin: the same storage, no storage event in this window.
    withKey().identifyUser('u_1', undefined, { token: 'second' });
    here.track('After the other tab');
    expect((await sent(here)).at(-1)).toEqual(['u_1', 'second']);
  });
});
