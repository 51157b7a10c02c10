import Cookies from 'js-cookie';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { Key } from '../../src/browser/identity';
import { anonymousIdCookieName, storagePrefix } from '../../src/protocol/storageKeys';
import {
  captureFetch, consoleLines, cookies, fakeTime, flushed, localEntries, spyConsole, tracker, UUID_V4, useCleanPage,
} from './helpers';
import type { Capture } from './helpers';

useCleanPage();

const WRITE_KEY = 'wk_identity';
const prefix = storagePrefix(WRITE_KEY);
const key = (name: Key) => prefix + name;
const AID = anonymousIdCookieName(WRITE_KEY);

const OLD_ID = '11111111-1111-4111-8111-111111111111';
const NEW_ID = '22222222-2222-4222-8222-222222222222';

let capture: Capture;
beforeEach(() => {
  capture = captureFetch();
});

/** The traits in localStorage: none stored and `{}` stored both read as `{}`. */
const storedTraits = (): unknown => JSON.parse(localStorage.getItem(key(Key.traits)) ?? '{}');

const withKey = (options: Parameters<typeof tracker>[0] = {}) => tracker({ writeKey: WRITE_KEY, ...options });

/** Makes every localStorage call throw, as a browser with storage blocked does. */
function breakLocalStorage(): void {
  vi.spyOn(window, 'localStorage', 'get').mockImplementation(() => {
    throw new DOMException('The operation is insecure.', 'SecurityError');
  });
  expect(() => window.localStorage).toThrow();
}

describe('storage keys', () => {
  test('the anonymous-id cookie is named by the storage prefix', () => {
    expect(AID).toBe(`${prefix}aid`);
    expect(anonymousIdCookieName()).toBe('idstitch_aid');
    expect(storagePrefix()).toBe('idstitch_');
  });

  test('a write key gets its own cookie-safe prefix', () => {
    expect(prefix).toMatch(/^idstitch_[0-9a-z]+_$/);
    expect(storagePrefix('other key')).not.toBe(prefix);
    expect(storagePrefix(WRITE_KEY)).toBe(prefix);
  });
});

describe('the anonymous id', () => {
  test('is a UUID v4, with no user or company', () => {
    const t = withKey();
    expect(t.getAnonymousId()).toMatch(UUID_V4);
    expect(t.getUserId()).toBeNull();
    expect(t.getCompanyId()).toBeNull();
  });

  test('differs between two fresh visitors', () => {
    const first = withKey().getAnonymousId();
    localStorage.clear();
    Cookies.remove(AID);
    expect(withKey().getAnonymousId()).not.toBe(first);
  });

  test('is stored in localStorage and in the cookie under the namespaced key', () => {
    const id = withKey().getAnonymousId();
    expect(localStorage.getItem(AID)).toBe(id);
    expect(Cookies.get(AID)).toBe(id);
  });

  test('without a write key the keys are idstitch_*', () => {
    const id = tracker().getAnonymousId();
    expect(localStorage.getItem('idstitch_aid')).toBe(id);
    expect(Cookies.get('idstitch_aid')).toBe(id);
  });

  test('survives a reload (a second tracker)', () => {
    const id = withKey().getAnonymousId();
    expect(withKey().getAnonymousId()).toBe(id);
  });

  test('the cookie wins over localStorage when they differ, and localStorage is repaired', () => {
    Cookies.set(AID, NEW_ID);
    localStorage.setItem(AID, OLD_ID);
    expect(withKey().getAnonymousId()).toBe(NEW_ID);
    expect(localStorage.getItem(AID)).toBe(NEW_ID);
    expect(Cookies.get(AID)).toBe(NEW_ID);
  });

  test('a missing cookie is rewritten from localStorage', () => {
    localStorage.setItem(AID, OLD_ID);
    expect(withKey().getAnonymousId()).toBe(OLD_ID);
    expect(Cookies.get(AID)).toBe(OLD_ID);
  });

  test('a missing localStorage copy is rewritten from the cookie', () => {
    Cookies.set(AID, OLD_ID);
    expect(withKey().getAnonymousId()).toBe(OLD_ID);
    expect(localStorage.getItem(AID)).toBe(OLD_ID);
  });

  test('the cookie is SameSite=Lax on path /, not Secure on http, and lives cookieExpiryDays', () => {
    fakeTime(Date.UTC(2030, 0, 1));
    const written = vi.spyOn(Document.prototype, 'cookie', 'set');
    withKey({ cookieExpiryDays: 10 });
    const line = written.mock.calls.map(([value]) => String(value)).find((value) => value.startsWith(`${AID}=`));
    expect(line).toBeDefined();
    expect(line).toMatch(/;\s*path=\//i);
    expect(line).toMatch(/;\s*samesite=lax/i);
    expect(line).not.toMatch(/;\s*secure/i);
    expect(line).not.toMatch(/httponly/i);
    const maxAge = /max-age=(\d+)/i.exec(line!)?.[1];
    expect(Number(maxAge)).toBe(10 * 86_400);
  });
});

describe('user and company ids', () => {
  test('persist in localStorage and the cookie and are restored on reload', () => {
    const first = withKey();
    first.identifyUser('user_1', { plan: 'team' });
    first.identifyCompany('acme');
    for (const [store, read] of [['localStorage', (k: string) => localStorage.getItem(k)], ['cookie', (k: string) => Cookies.get(k)]] as const) {
      expect(read(key(Key.userId)), store).toBe('user_1');
      expect(read(key(Key.companyId)), store).toBe('acme');
    }
    const second = withKey();
    expect(second.getAnonymousId()).toBe(first.getAnonymousId());
    expect(second.getUserId()).toBe('user_1');
    expect(second.getCompanyId()).toBe('acme');
  });

  test('after a reload, messages still carry the user and context.groupId', async () => {
    const first = withKey();
    first.identifyUser('user_1');
    first.identifyCompany('acme');
    const second = withKey();
    second.track('after reload');
    const [message] = await flushed(second, capture);
    expect(message).toMatchObject({ userId: 'user_1', anonymousId: first.getAnonymousId(), context: { groupId: 'acme' } });
  });

  test('traits are stored in localStorage and restored on reload', async () => {
    withKey().identifyUser('user_1', { plan: 'team' });
    expect(storedTraits()).toEqual({ plan: 'team' });
    const second = withKey();
    second.setUserProperties({ seats: 3 });
    const [message] = await flushed(second, capture);
    expect(message).toMatchObject({ type: 'identify', userId: 'user_1', traits: { plan: 'team', seats: 3 } });
  });

  test('ids with unicode, spaces and separators survive the cookie round trip', () => {
    const id = 'Zoë; Ølsen=1, "ユーザー" %20';
    withKey().identifyUser(id);
    expect(Cookies.get(key(Key.userId))).toBe(id);
    localStorage.clear();
    expect(withKey().getUserId()).toBe(id);
  });

  test('an invalid user id found in storage is ignored and removed', () => {
    Cookies.set(AID, OLD_ID);
    Cookies.set(key(Key.userId), 'null');
    localStorage.setItem(AID, OLD_ID);
    localStorage.setItem(key(Key.userId), 'null');
    const t = withKey();
    expect(t.getAnonymousId()).toBe(OLD_ID);
    expect(t.getUserId()).toBeNull();
    expect(Cookies.get(key(Key.userId))).toBeUndefined();
    expect(localStorage.getItem(key(Key.userId))).toBeNull();
  });

  test('corrupt traits in localStorage read as none, without throwing', async () => {
    localStorage.setItem(AID, OLD_ID);
    localStorage.setItem(key(Key.traits), '{not json');
    const t = withKey();
    t.setUserProperties({ a: 1 });
    const [message] = await flushed(t, capture);
    expect(message).toMatchObject({ anonymousId: OLD_ID, traits: { a: 1 } });
    expect(Object.keys((message as { traits: object }).traits)).toEqual(['a']);
  });

  test('reset() persists the new anonymous id and removes user and company from both stores', () => {
    const t = withKey();
    t.identifyUser('user_1', { plan: 'team' });
    t.identifyCompany('acme');
    t.reset();
    const id = t.getAnonymousId();
    expect(Cookies.get(AID)).toBe(id);
    expect(localStorage.getItem(AID)).toBe(id);
    for (const name of [Key.userId, Key.companyId]) {
      expect(Cookies.get(key(name))).toBeUndefined();
      expect(localStorage.getItem(key(name))).toBeNull();
    }
    expect(storedTraits()).toEqual({});
    expect(withKey().getUserId()).toBeNull();
  });
});

describe('a logout on a sibling subdomain', () => {
  /** localStorage still holds the old user; the shared cookie holds the sibling's fresh anonymous id. */
  function siblingLoggedOut(): void {
    localStorage.setItem(AID, OLD_ID);
    localStorage.setItem(key(Key.userId), 'user_old');
    localStorage.setItem(key(Key.companyId), 'acme');
    localStorage.setItem(key(Key.traits), JSON.stringify({ email: 'old@example.com' }));
    Cookies.set(AID, NEW_ID);
  }

  test('does not resurrect the old user or company', () => {
    siblingLoggedOut();
    const t = withKey();
    expect(t.getAnonymousId()).toBe(NEW_ID);
    expect(t.getUserId()).toBeNull();
    expect(t.getCompanyId()).toBeNull();
  });

  test('repairs localStorage to the logged-out identity', () => {
    siblingLoggedOut();
    withKey();
    expect(localStorage.getItem(AID)).toBe(NEW_ID);
    expect(localStorage.getItem(key(Key.userId))).toBeNull();
    expect(localStorage.getItem(key(Key.companyId))).toBeNull();
    expect(storedTraits()).toEqual({});
  });

  test('drops the old traits: the next identify does not carry them', async () => {
    siblingLoggedOut();
    const t = withKey();
    t.identifyUser('user_new', { plan: 'free' });
    const [message] = await flushed(t, capture);
    expect(message).toMatchObject({ anonymousId: NEW_ID, userId: 'user_new' });
    expect((message as { traits: object }).traits).toEqual({ plan: 'free' });
  });

  test('the same user in both stores keeps the traits', () => {
    localStorage.setItem(AID, OLD_ID);
    localStorage.setItem(key(Key.userId), 'user_1');
    localStorage.setItem(key(Key.traits), JSON.stringify({ plan: 'team' }));
    Cookies.set(AID, OLD_ID);
    Cookies.set(key(Key.userId), 'user_1');
    withKey();
    expect(storedTraits()).toEqual({ plan: 'team' });
  });
});

describe('another tab', () => {
  test('a reset() there is seen here before the next message', async () => {
    const t = withKey();
    t.identifyUser('user_1');
    // The other tab wrote a fresh identity; the browser tells this tab with a storage event.
    localStorage.setItem(AID, NEW_ID);
    localStorage.removeItem(key(Key.userId));
    Cookies.set(AID, NEW_ID);
    Cookies.remove(key(Key.userId));
    window.dispatchEvent(new StorageEvent('storage', { key: AID, newValue: NEW_ID }));
    expect(t.getAnonymousId()).toBe(NEW_ID);
    expect(t.getUserId()).toBeNull();
    t.track('after');
    const messages = await flushed(t, capture);
    expect(messages.at(-1)).toMatchObject({ event: 'after', anonymousId: NEW_ID, userId: null });
  });

  test('storage events for other keys change nothing', () => {
    const t = withKey();
    const id = t.getAnonymousId();
    localStorage.setItem(storagePrefix('other') + 'aid', NEW_ID);
    window.dispatchEvent(new StorageEvent('storage', { key: storagePrefix('other') + 'aid', newValue: NEW_ID }));
    expect(t.getAnonymousId()).toBe(id);
  });
});

describe('two write keys', () => {
  test('never share state', () => {
    const a = tracker({ writeKey: 'key_a' });
    a.identifyUser('user_a', { plan: 'a' });
    a.identifyCompany('company_a');
    const b = tracker({ writeKey: 'key_b' });
    expect(b.getAnonymousId()).not.toBe(a.getAnonymousId());
    expect(b.getUserId()).toBeNull();
    expect(b.getCompanyId()).toBeNull();
    b.reset();
    expect(tracker({ writeKey: 'key_a' }).getUserId()).toBe('user_a');
  });

  test('use disjoint keys in both stores', () => {
    tracker({ writeKey: 'key_a' }).identifyUser('user_a');
    tracker({ writeKey: 'key_b' }).identifyUser('user_b');
    const [pa, pb] = [storagePrefix('key_a'), storagePrefix('key_b')];
    for (const names of [Object.keys(localEntries()), Object.keys(cookies())]) {
      expect(names.every((name) => name.startsWith(pa) !== name.startsWith(pb))).toBe(true);
      expect(names.some((name) => name.startsWith(pa))).toBe(true);
      expect(names.some((name) => name.startsWith(pb))).toBe(true);
    }
  });
});

describe('persistence modes', () => {
  /** An identified visitor with a company, traits, a session and an opt-out choice made and withdrawn. */
  function identified(persistence: 'localStorage+cookie' | 'localStorage' | 'cookie' | 'memory') {
    const t = withKey({ persistence });
    t.identifyUser('user_1', { email: 'ada@example.com' });
    t.identifyCompany('acme', { size: 10 });
    t.track('x');
    return t;
  }
  const names = (entries: Record<string, string>) => Object.keys(entries).sort();

  test("'localStorage+cookie': ids in both, traits and session in localStorage only", () => {
    identified('localStorage+cookie');
    expect(names(cookies())).toEqual([key(Key.anonymousId), key(Key.companyId), key(Key.userId)].sort());
    expect(names(localEntries())).toEqual(
      [key(Key.anonymousId), key(Key.companyId), key(Key.userId), key(Key.traits), key(Key.session)].sort(),
    );
  });

  test("'localStorage': nothing in cookies", () => {
    const t = identified('localStorage');
    expect(cookies()).toEqual({});
    expect(localStorage.getItem(AID)).toBe(t.getAnonymousId());
    expect(localStorage.getItem(key(Key.userId))).toBe('user_1');
    expect(storedTraits()).toEqual({ email: 'ada@example.com' });
    expect(withKey({ persistence: 'localStorage' }).getUserId()).toBe('user_1');
  });

  test("'cookie': nothing in localStorage, and never traits in a cookie", () => {
    const t = identified('cookie');
    expect(localEntries()).toEqual({});
    expect(Cookies.get(AID)).toBe(t.getAnonymousId());
    expect(Cookies.get(key(Key.userId))).toBe('user_1');
    expect(Cookies.get(key(Key.companyId))).toBe('acme');
    expect(Cookies.get(key(Key.traits))).toBeUndefined();
    expect(document.cookie).not.toContain('ada');
    expect(withKey({ persistence: 'cookie' }).getUserId()).toBe('user_1');
  });

  test("'cookie': the session and the opt-out choice live in the cookie", () => {
    const t = identified('cookie');
    expect(Cookies.get(key(Key.session))).toMatch(new RegExp(`^${t.getSessionId()}\\.\\d+$`));
    t.optOut();
    expect(Cookies.get(key(Key.optOut))).toBe('1');
  });

  test("'memory': writes nothing anywhere and forgets on reload", () => {
    const t = identified('memory');
    t.optOut();
    expect(localEntries()).toEqual({});
    expect(cookies()).toEqual({});
    const next = withKey({ persistence: 'memory' });
    expect(next.getAnonymousId()).not.toBe(t.getAnonymousId());
    expect(next.getUserId()).toBeNull();
  });

  test("'memory' ignores what the other stores hold", () => {
    Cookies.set(AID, OLD_ID);
    localStorage.setItem(AID, OLD_ID);
    expect(withKey({ persistence: 'memory' }).getAnonymousId()).not.toBe(OLD_ID);
  });
});

describe('broken storage', () => {
  test('localStorage throwing on every access: the cookie carries the identity, nothing throws', async () => {
    breakLocalStorage();
    const t = withKey();
    t.identifyUser('user_1', { plan: 'team' });
    t.track('works');
    expect(Cookies.get(AID)).toBe(t.getAnonymousId());
    const messages = await flushed(t, capture);
    expect(messages.map((m) => m.type)).toEqual(['identify', 'track']);
    expect(withKey().getUserId()).toBe('user_1');
  });

  test("persistence 'localStorage' with localStorage throwing works from memory", async () => {
    breakLocalStorage();
    const t = withKey({ persistence: 'localStorage' });
    expect(t.getAnonymousId()).toMatch(UUID_V4);
    t.identifyUser('user_1');
    t.track('works');
    expect(t.getUserId()).toBe('user_1');
    const messages = await flushed(t, capture);
    expect(messages).toHaveLength(2);
    expect(messages.every((m) => m.anonymousId === t.getAnonymousId())).toBe(true);
    expect(cookies()).toEqual({});
  });

  test('Storage methods throwing after the probe (quota, eviction) never throw into the page', async () => {
    const t = withKey();
    for (const method of ['getItem', 'setItem', 'removeItem'] as const) {
      vi.spyOn(Storage.prototype, method).mockImplementation(() => {
        throw new DOMException('QuotaExceededError', 'QuotaExceededError');
      });
    }
    expect(() => {
      t.identifyUser('user_1', { plan: 'team' });
      t.identifyCompany('acme');
      t.setUserProperties({ seats: 3 });
      t.reset();
      t.optOut();
      t.optIn();
      t.track('still works');
    }).not.toThrow();
    const messages = await flushed(t, capture);
    expect(messages.at(-1)).toMatchObject({ event: 'still works', anonymousId: t.getAnonymousId() });
  });

  test('every store blocked: works from memory and says so once in debug', async () => {
    breakLocalStorage();
    vi.spyOn(navigator, 'cookieEnabled', 'get').mockReturnValue(false);
    const logs = spyConsole();
    const t = withKey({ debug: true });
    t.identifyUser('user_1');
    t.track('works');
    expect(t.getUserId()).toBe('user_1');
    expect(cookies()).toEqual({});
    const memoryLines = consoleLines(logs.log).filter((line) => line.includes('[idstitch]') && /memory/.test(line));
    expect(memoryLines).toHaveLength(1);
    expect(await flushed(t, capture)).toHaveLength(2);
  });
});

describe('the session', () => {
  const MINUTE = 60_000;

  async function sessionOfNextMessage(t: ReturnType<typeof withKey>): Promise<string | undefined> {
    t.track('tick');
    const messages = await flushed(t, capture);
    return messages.at(-1)?.context.sessionId;
  }

  test('is a UUID, stored in localStorage with the time of the last activity', () => {
    fakeTime();
    const t = withKey();
    expect(t.getSessionId()).toMatch(UUID_V4);
    expect(localStorage.getItem(key(Key.session))).toBe(`${t.getSessionId()}.${Date.now()}`);
  });

  test('is kept while the visitor is active, even well past the timeout in total', async () => {
    fakeTime();
    const t = withKey();
    const first = await sessionOfNextMessage(t);
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersByTime(29 * MINUTE);
      expect(await sessionOfNextMessage(t)).toBe(first);
    }
    expect(t.getSessionId()).toBe(first);
  });

  test('renews after 30 minutes of inactivity by default', async () => {
    fakeTime();
    const t = withKey();
    const first = await sessionOfNextMessage(t);
    vi.advanceTimersByTime(30 * MINUTE + 1);
    const second = await sessionOfNextMessage(t);
    expect(second).toMatch(UUID_V4);
    expect(second).not.toBe(first);
    expect(t.getSessionId()).toBe(second);
  });

  test('renews after a custom sessionTimeout', async () => {
    fakeTime();
    const t = withKey({ sessionTimeout: 5000 });
    const first = await sessionOfNextMessage(t);
    vi.advanceTimersByTime(4000);
    expect(await sessionOfNextMessage(t)).toBe(first);
    vi.advanceTimersByTime(5001);
    expect(await sessionOfNextMessage(t)).not.toBe(first);
  });

  test('survives a reload within the timeout, not after it', () => {
    fakeTime();
    const first = withKey().getSessionId();
    vi.advanceTimersByTime(10 * MINUTE);
    expect(withKey().getSessionId()).toBe(first);
    vi.advanceTimersByTime(31 * MINUTE);
    expect(withKey().getSessionId()).not.toBe(first);
  });
});

describe('opt-out', () => {
  test('persists across a new tracker', async () => {
    withKey().optOut();
    const next = withKey();
    next.track('hidden');
    expect(await flushed(next, capture)).toEqual([]);
    expect(capture.fetch).not.toHaveBeenCalled();
  });

  test('opting in again persists too', async () => {
    withKey().optOut();
    withKey().optIn();
    const next = withKey();
    next.track('visible');
    expect((await flushed(next, capture)).map((m) => (m as { event?: string }).event)).toEqual(['visible']);
  });

  test('is per write key', async () => {
    tracker({ writeKey: 'key_a' }).optOut();
    const b = tracker({ writeKey: 'key_b' });
    b.track('visible');
    expect(await flushed(b, capture)).toHaveLength(1);
  });
});
