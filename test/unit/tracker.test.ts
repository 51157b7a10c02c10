import { afterEach, describe, expect, test, vi } from 'vitest';
import { autoPage } from '../../src/browser/autoPage';
import { createTracker } from '../../src/browser/tracker';
import type { Tracker } from '../../src/browser/tracker';
import type { TrackerOptions } from '../../src/browser/options';
import type { GroupMessage, IdentifyMessage, Message, PageMessage, TrackMessage } from '../../src/protocol/messages';
import packageJson from '../../package.json';
import {
  captureFetch, consoleLines, fakeTime, flushed, ISO_8601, localEntries, cookies, newEndpoint, settle, spyConsole,
  trackerWithCapture, trackerWithErrors, UUID_V4, useCleanPage,
} from './helpers';
import type { Sent } from './helpers';

useCleanPage();
afterEach(() => {
  history.replaceState(null, '', '/');
  document.title = '';
});

const status = (code: number, body = '') => () => new Response(body, { status: code });
const events = (messages: Message[]) => messages.map((m) => (m as TrackMessage).event);

describe('message fields (README "Wire format")', () => {
  test('a track message carries every common field', async () => {
    fakeTime(Date.UTC(2030, 4, 6, 7, 8, 9, 123));
    const { tracker: t, capture } = trackerWithCapture();
    t.track('Signed Up', { plan: 'team' });
    vi.advanceTimersByTime(5000);
    const [message] = await flushed(t, capture);
    expect(message).toEqual({
      type: 'track',
      messageId: expect.stringMatching(UUID_V4),
      anonymousId: t.getAnonymousId(),
      userId: null,
      timestamp: '2030-05-06T07:08:09.123Z',
      event: 'Signed Up',
      properties: { plan: 'team' },
      context: {
        library: { name: 'idstitch', version: packageJson.version },
        page: { url: 'http://localhost:3000/', path: '/', title: '', referrer: '', search: '' },
        userAgent: navigator.userAgent,
        locale: navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        sessionId: t.getSessionId(),
      },
    });
  });

  test('the anonymous id is a UUID v4 and the session id is set', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.track('x');
    const [message] = await flushed(t, capture);
    expect(message!.anonymousId).toMatch(UUID_V4);
    expect(message!.context.sessionId).toMatch(UUID_V4);
  });

  test('every message gets its own messageId', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    for (let i = 0; i < 10; i++) t.track(`e${i}`);
    const ids = (await flushed(t, capture)).map((m) => m.messageId);
    expect(new Set(ids).size).toBe(10);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });

  test('the timestamp is when the call was made, sentAt when the batch left', async () => {
    fakeTime(Date.UTC(2030, 0, 1));
    const { tracker: t, capture } = trackerWithCapture();
    t.track('first');
    vi.advanceTimersByTime(250);
    t.track('second');
    vi.setSystemTime(Date.UTC(2030, 0, 1, 0, 0, 30));
    const messages = await flushed(t, capture);
    expect(messages.map((m) => m.timestamp)).toEqual(['2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.250Z']);
    expect(capture.sent[0]!.body.sentAt).toBe('2030-01-01T00:00:30.000Z');
  });

  test('context.page follows the page as it is at call time', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    vi.spyOn(Document.prototype, 'referrer', 'get').mockReturnValue('https://search.example/?q=idstitch');
    history.replaceState(null, '', '/pricing?plan=pro#faq');
    document.title = 'Pricing';
    t.track('viewed');
    history.replaceState(null, '', '/docs');
    document.title = 'Docs';
    t.track('read');
    const [first, second] = await flushed(t, capture);
    expect(first!.context.page).toEqual({
      url: 'http://localhost:3000/pricing?plan=pro#faq',
      path: '/pricing',
      title: 'Pricing',
      referrer: 'https://search.example/?q=idstitch',
      search: '?plan=pro',
    });
    expect(second!.context.page).toMatchObject({ url: 'http://localhost:3000/docs', path: '/docs', title: 'Docs', search: '' });
  });

  test('context.campaign holds the utm_* of the landing URL, kept after navigation', async () => {
    history.replaceState(null, '', '/landing?utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=ids&utm_content=hero&utm_id=7&other=1');
    const { tracker: t, capture } = trackerWithCapture();
    history.replaceState(null, '', '/app');
    t.track('x');
    const [message] = await flushed(t, capture);
    expect(message!.context.campaign).toEqual({ source: 'news', medium: 'email', name: 'spring', term: 'ids', content: 'hero', id: '7' });
  });

  test('no utm_* on the landing URL: no campaign, even when a later URL has some', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    history.replaceState(null, '', '/later?utm_source=late');
    t.track('x');
    const [message] = await flushed(t, capture);
    expect(message!.context).not.toHaveProperty('campaign');
  });

  test('identify carries traits, page carries name and page properties, group carries groupId and traits', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    document.title = 'Home';
    t.identifyUser('user_1', { plan: 'team' });
    t.page('Home', { section: 'hero' });
    t.identifyCompany('acme', { size: 10 });
    const [identify, page, group] = await flushed(t, capture);
    expect(identify).toMatchObject({ type: 'identify', userId: 'user_1', traits: { plan: 'team' } } satisfies Partial<IdentifyMessage>);
    expect(page).toMatchObject({
      type: 'page',
      name: 'Home',
      properties: { url: 'http://localhost:3000/', path: '/', title: 'Home', referrer: '', search: '', section: 'hero' },
    });
    expect(group).toMatchObject({ type: 'group', groupId: 'acme', traits: { size: 10 }, userId: 'user_1' } satisfies Partial<GroupMessage>);
  });

  test('page() without a name has name null; a name that is not a string warns and is left out', async () => {
    const logs = spyConsole();
    const { tracker: t, capture } = trackerWithCapture();
    t.page();
    t.page(42 as unknown as string, { section: 'pricing' });
    const [plain, badName] = (await flushed(t, capture)) as PageMessage[];
    expect(plain!.name).toBeNull();
    expect(badName!.name).toBeNull();
    expect(badName!.properties).toMatchObject({ section: 'pricing', path: '/' });
    expect(logs.warn.mock.calls.flat().join(' ')).toContain('page: name must be a string');
  });

  test('context.groupId appears after identifyCompany and stays until reset', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.track('before');
    t.identifyCompany('acme');
    t.track('during');
    t.page();
    t.reset();
    t.track('after');
    const messages = await flushed(t, capture);
    expect(messages.map((m) => m.context.groupId)).toEqual([undefined, 'acme', 'acme', 'acme', undefined]);
  });

  test('the body is {batch, sentAt, writeKey}, POSTed as text/plain to the endpoint', async () => {
    const endpoint = newEndpoint();
    const capture = captureFetch();
    const t = createTracker({ endpoint, writeKey: 'wk_live' });
    t.track('x');
    await t.flush();
    expect(capture.sent).toHaveLength(1);
    const [{ url, init, body }] = capture.sent as [Sent];
    expect(url).toBe(endpoint);
    expect(init.method).toBe('POST');
    // No header of our own: the string body makes fetch send text/plain;charset=UTF-8, a CORS simple request.
    expect(init.headers).toBeUndefined();
    expect(typeof init.body).toBe('string');
    expect(new Request(url, init).headers.get('content-type')).toMatch(/^text\/plain(;|$)/);
    expect(Object.keys(body).sort()).toEqual(['batch', 'sentAt', 'writeKey']);
    expect(body.writeKey).toBe('wk_live');
    expect(body.sentAt).toMatch(ISO_8601);
    expect(body.batch).toHaveLength(1);
    t.optOut();
  });

  test('without a write key the body has no writeKey', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.track('x');
    await t.flush();
    expect(capture.sent[0]!.body).not.toHaveProperty('writeKey');
  });
});

describe('identifyUser', () => {
  test('the same id again merges traits and keeps the anonymous id and session', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.identifyUser('user_1', { plan: 'free', name: 'Ada' });
    t.identifyUser('user_1', { plan: 'team' });
    const [first, second] = (await flushed(t, capture)) as IdentifyMessage[];
    expect(second!.traits).toEqual({ plan: 'team', name: 'Ada' });
    expect(second!.anonymousId).toBe(first!.anonymousId);
    expect(second!.context.sessionId).toBe(first!.context.sessionId);
    expect(t.getUserId()).toBe('user_1');
  });

  test('identifying an anonymous visitor keeps its anonymous id', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    const anonymousId = t.getAnonymousId();
    t.track('before login');
    t.identifyUser('user_1');
    t.track('after login');
    const messages = await flushed(t, capture);
    expect(messages.map((m) => m.anonymousId)).toEqual([anonymousId, anonymousId, anonymousId]);
    expect(messages.map((m) => m.userId)).toEqual([null, 'user_1', 'user_1']);
  });

  test('a different id while identified splits: new anonymous id, new session, no shared traits', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.identifyUser('alice', { email: 'alice@example.com' });
    t.identifyCompany('acme');
    const alice = { anonymousId: t.getAnonymousId(), sessionId: t.getSessionId() };
    t.identifyUser('bob', { plan: 'free' });
    const [aliceIdentify, , bobIdentify] = (await flushed(t, capture)) as IdentifyMessage[];
    expect(aliceIdentify).toMatchObject({ userId: 'alice', anonymousId: alice.anonymousId });
    expect(bobIdentify).toMatchObject({ type: 'identify', userId: 'bob', traits: { plan: 'free' } });
    expect(bobIdentify!.traits).not.toHaveProperty('email');
    expect(bobIdentify!.anonymousId).toMatch(UUID_V4);
    expect(bobIdentify!.anonymousId).not.toBe(alice.anonymousId);
    expect(bobIdentify!.context.sessionId).not.toBe(alice.sessionId);
    expect(bobIdentify!.context).not.toHaveProperty('groupId');
    expect(t.getCompanyId()).toBeNull();
  });

  test.each([
    ['empty', ''],
    ['whitespace', '  '],
    ['a placeholder', 'undefined'],
    ['a quoted placeholder', '"null"'],
    ['"__" prefixed', '__internal'],
    ['the number 0', 0],
    ['NaN', Number.NaN],
    ['null', null],
    ['an object', { id: 'user_2' }],
  ])('an invalid id (%s) warns, changes nothing and sends nothing', async (_name, value) => {
    const { tracker: t, capture } = trackerWithCapture();
    const logs = spyConsole();
    t.identifyUser('user_1', { plan: 'team' });
    await t.flush();
    const before = { anonymousId: t.getAnonymousId(), storage: localEntries(), cookies: cookies(), sent: capture.sent.length };
    t.identifyUser(value as string, { plan: 'hacked' });
    t.identifyCompany(value as string);
    await t.flush();
    expect(capture.sent.length).toBe(before.sent);
    expect(t.getUserId()).toBe('user_1');
    expect(t.getCompanyId()).toBeNull();
    expect(t.getAnonymousId()).toBe(before.anonymousId);
    expect(localEntries()).toEqual(before.storage);
    expect(cookies()).toEqual(before.cookies);
    const warnings = consoleLines(logs.warn);
    expect(warnings.some((line) => line.startsWith('[idstitch]') && line.includes('identifyUser'))).toBe(true);
    expect(warnings.some((line) => line.startsWith('[idstitch]') && line.includes('identifyCompany'))).toBe(true);
  });

  test('numbers become strings', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.identifyUser(42);
    t.identifyCompany(7);
    const [identify, group] = await flushed(t, capture);
    expect(identify!.userId).toBe('42');
    expect((group as GroupMessage).groupId).toBe('7');
    expect(t.getUserId()).toBe('42');
    expect(t.getCompanyId()).toBe('7');
  });

  test('ids are case-sensitive: "User" then "user" is a different user', () => {
    const { tracker: t } = trackerWithCapture();
    t.identifyUser('User');
    const first = t.getAnonymousId();
    t.identifyUser('user');
    expect(t.getUserId()).toBe('user');
    expect(t.getAnonymousId()).not.toBe(first);
  });

  test('the number 42 and the string "42" are the same user: no split', () => {
    const { tracker: t } = trackerWithCapture();
    t.identifyUser(42);
    const first = t.getAnonymousId();
    t.identifyUser('42');
    expect(t.getAnonymousId()).toBe(first);
  });
});

describe('setUserProperties', () => {
  test('uid or userId is no identify: left out with a warning that names identifyUser, the other traits still go', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    const console = spyConsole();
    t.setUserProperties({ uid: 'u_9', userId: 'u_9', displayName: 'Ada' });
    expect(consoleLines(console.warn)).toEqual(['[idstitch] setUserProperties: uid and userId ignored, call identifyUser']);
    const [message] = (await flushed(t, capture)) as IdentifyMessage[];
    expect(message).toMatchObject({ type: 'identify', userId: null, traits: { displayName: 'Ada' } });
    expect(message!.traits).not.toHaveProperty('uid');
    expect(t.getUserId()).toBeNull();
  });

  test('sends an identify for an anonymous visitor, with userId null', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.setUserProperties({ theme: 'dark' });
    const [message] = await flushed(t, capture);
    expect(message).toMatchObject({ type: 'identify', userId: null, anonymousId: t.getAnonymousId(), traits: { theme: 'dark' } });
  });

  test('merges into the identified user’s traits', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.identifyUser('user_1', { plan: 'team' });
    t.setUserProperties({ seats: 5 });
    const [, message] = await flushed(t, capture);
    expect(message).toMatchObject({ type: 'identify', userId: 'user_1', traits: { plan: 'team', seats: 5 } });
  });
});

describe('reset()', () => {
  test('gives a new anonymous id and session id and forgets user, company and traits', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.identifyUser('user_1', { plan: 'team' });
    t.identifyCompany('acme');
    const before = { anonymousId: t.getAnonymousId(), sessionId: t.getSessionId() };
    t.reset();
    expect(t.getAnonymousId()).toMatch(UUID_V4);
    expect(t.getAnonymousId()).not.toBe(before.anonymousId);
    expect(t.getSessionId()).toMatch(UUID_V4);
    expect(t.getSessionId()).not.toBe(before.sessionId);
    expect(t.getUserId()).toBeNull();
    expect(t.getCompanyId()).toBeNull();
    t.setUserProperties({ theme: 'dark' });
    const last = (await flushed(t, capture)).at(-1) as IdentifyMessage;
    expect(last.traits).toEqual({ theme: 'dark' });
    expect(last.userId).toBeNull();
  });

  test('messages queued before keep the identity they were made with', async () => {
    const { tracker: t, capture } = trackerWithCapture({ batchSize: 100 });
    t.identifyUser('user_1');
    t.identifyCompany('acme');
    t.track('before');
    const old = { anonymousId: t.getAnonymousId(), sessionId: t.getSessionId() };
    t.reset();
    t.track('after');
    expect(capture.sent).toHaveLength(0);
    const messages = await flushed(t, capture);
    const before = messages.find((m) => (m as TrackMessage).event === 'before')!;
    const after = messages.find((m) => (m as TrackMessage).event === 'after')!;
    expect(before).toMatchObject({ anonymousId: old.anonymousId, userId: 'user_1', context: { groupId: 'acme', sessionId: old.sessionId } });
    expect(after).toMatchObject({ anonymousId: t.getAnonymousId(), userId: null });
    expect(after.context).not.toHaveProperty('groupId');
  });
});

describe('arguments', () => {
  test('a message is fixed at call time: later changes to the properties object do not alter it', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    const properties = { step: 1, nested: { ok: true } };
    t.track('x', properties);
    properties.step = 2;
    properties.nested.ok = false;
    const [message] = (await flushed(t, capture)) as TrackMessage[];
    expect(message!.properties).toEqual({ step: 1, nested: { ok: true } });
  });

  test('a numeric event name is refused with a warning (event names are strings in the wire format)', async () => {
    const logs = spyConsole();
    const { tracker: t, capture } = trackerWithCapture();
    t.track(404 as unknown as string);
    expect(events(await flushed(t, capture))).toEqual([]);
    expect(logs.warn.mock.calls.flat().join(' ')).toContain('track: event must be a string');
  });

  test.each([['empty', ''], ['blank', '   '], ['null', null], ['an object', {}]])(
    'an event name that is %s warns and sends nothing',
    async (_name, event) => {
      const logs = spyConsole();
      const { tracker: t, capture } = trackerWithCapture();
      t.track(event as string);
      expect(await flushed(t, capture)).toEqual([]);
      expect(consoleLines(logs.warn).some((line) => line.startsWith('[idstitch]') && line.includes('track'))).toBe(true);
    },
  );

  test.each([['a string', 'plan'], ['an array', ['plan']], ['a number', 5]])(
    'traits or properties that are %s are sent as {} with a warning',
    async (_name, value) => {
      const logs = spyConsole();
      const { tracker: t, capture } = trackerWithCapture();
      t.track('x', value as never);
      t.identifyUser('user_1', value as never);
      const [track, identify] = await flushed(t, capture);
      expect((track as TrackMessage).properties).toEqual({});
      expect((identify as IdentifyMessage).traits).toEqual({});
      expect(logs.warn).toHaveBeenCalled();
    },
  );

  test('a page name that is not a string is left out, with a warning', async () => {
    const logs = spyConsole();
    const { tracker: t, capture } = trackerWithCapture();
    t.page(42 as unknown as string);
    const [message] = (await flushed(t, capture)) as PageMessage[];
    expect(message!.name).toBeNull();
    expect(logs.warn).toHaveBeenCalled();
  });
});

describe('getters', () => {
  test('return null where there is none', () => {
    const { tracker: t } = trackerWithCapture();
    expect(t.getUserId()).toBeNull();
    expect(t.getCompanyId()).toBeNull();
    expect(t.getAnonymousId()).not.toBeNull();
    expect(t.getSessionId()).not.toBeNull();
  });
});

describe('optOut / optIn', () => {
  test('optOut stops sending, including what was queued; optIn resumes', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    t.track('queued');
    t.optOut();
    t.track('hidden');
    t.page();
    t.identifyUser('user_1');
    await t.flush();
    expect(capture.fetch).not.toHaveBeenCalled();
    t.optIn();
    t.track('visible');
    expect(events(await flushed(t, capture))).toEqual(['visible']);
  });
});

describe('beforeSend', () => {
  test('sees each message and can modify it', async () => {
    const seen: Message[] = [];
    const { tracker: t, capture } = trackerWithCapture({
      beforeSend: (message) => {
        seen.push(message);
        return message.type === 'track' ? { ...message, properties: { ...message.properties, redacted: true } } : message;
      },
    });
    t.track('x', { secret: 's' });
    t.page();
    const [track, page] = await flushed(t, capture);
    expect(seen.map((m) => m.type)).toEqual(['track', 'page']);
    expect((track as TrackMessage).properties).toEqual({ secret: 's', redacted: true });
    expect(page!.type).toBe('page');
  });

  test('returning null drops the message', async () => {
    const { tracker: t, capture } = trackerWithCapture({
      beforeSend: (message) => (message.type === 'track' && message.event === 'drop me' ? null : message),
    });
    t.track('drop me');
    t.track('keep me');
    expect(events(await flushed(t, capture))).toEqual(['keep me']);
  });

  test('a throwing beforeSend drops that message and is reported through onError', async () => {
    const { tracker: t, capture, onError, errors } = trackerWithErrors({
      beforeSend: (message) => {
        if (message.type === 'track' && message.event === 'boom') throw new Error('beforeSend exploded');
        return message;
      },
    });
    expect(() => t.track('boom')).not.toThrow();
    t.track('fine');
    expect(events(await flushed(t, capture))).toEqual(['fine']);
    expect(errors()).toEqual([expect.stringContaining('beforeSend')]);
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(Error);
  });
});

describe('onError', () => {
  test('an onError that throws does not throw into the page', async () => {
    spyConsole();
    const onError = vi.fn(() => {
      throw new Error('onError exploded');
    });
    const { tracker: t } = trackerWithCapture(
      { onError, beforeSend: () => { throw new Error('no'); } },
      status(400),
    );
    expect(() => t.track('x')).not.toThrow();
    await expect(t.flush()).resolves.toBeUndefined();
    expect(onError).toHaveBeenCalled();
  });
});

describe('batching', () => {
  test('a full batch of batchSize is sent at once', async () => {
    fakeTime();
    const { tracker: t, capture } = trackerWithCapture({ batchSize: 3 });
    t.track('a');
    t.track('b');
    await settle();
    expect(capture.sent).toHaveLength(0);
    t.track('c');
    await settle();
    expect(capture.sent).toHaveLength(1);
    expect(events(capture.sent[0]!.body.batch)).toEqual(['a', 'b', 'c']);
  });

  test('batches hold at most batchSize messages', async () => {
    const { tracker: t, capture } = trackerWithCapture({ batchSize: 4, flushInterval: 3_600_000 });
    for (let i = 0; i < 10; i++) t.track(`e${i}`);
    await t.flush();
    expect(capture.sent.map((s) => s.body.batch.length)).toEqual([4, 4, 2]);
    expect(events(capture.messages())).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
  });

  test.each([
    ['a flushInterval of 500 ms', { flushInterval: 500 }, 500],
    ['the default flushInterval, one second,', {}, 1000],
  ])('%s sends a partial batch after that wait', async (_name, options, wait) => {
    fakeTime();
    const { tracker: t, capture } = trackerWithCapture(options);
    t.track('a');
    vi.advanceTimersByTime(wait - 1);
    await settle();
    expect(capture.sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    await settle();
    expect(events(capture.messages())).toEqual(['a']);
  });

  test.each([
    ['ASCII', 'x'],
    ['two-byte characters', 'é'],
    ['three-byte characters', '語'],
    ['four-byte characters', '😀'],
  ])('maxBatchBytes splits batches so no body exceeds it (%s, with a write key)', async (_name, char) => {
    const maxBatchBytes = 2048;
    const { tracker: t, capture } = trackerWithCapture({ maxBatchBytes, writeKey: 'wk_bytes', batchSize: 100 });
    for (let i = 0; i < 30; i++) t.track(`e${i}`, { filler: char.repeat(50 + i * 5) });
    await t.flush();
    expect(capture.sent.length).toBeGreaterThan(1);
    for (const request of capture.sent) expect(request.bytes).toBeLessThanOrEqual(maxBatchBytes);
    expect(events(capture.messages())).toEqual(Array.from({ length: 30 }, (_, i) => `e${i}`));
  });

  test('a message too big for the batch limit is refused through onError; the others still go', async () => {
    const { tracker: t, capture, errors } = trackerWithErrors({ maxBatchBytes: 1024 });
    t.track('big', { filler: 'x'.repeat(1000) });
    t.track('small');
    expect(events(await flushed(t, capture))).toEqual(['small']);
    expect(errors()).toHaveLength(1);
    for (const request of capture.sent) expect(request.bytes).toBeLessThanOrEqual(1024);
  });
});

describe('flush()', () => {
  test('resolves only after the collector answered', async () => {
    let answer!: (response: Response) => void;
    const { tracker: t, capture } = trackerWithCapture({}, () => new Promise<Response>((resolve) => (answer = resolve)));
    t.track('x');
    let done = false;
    const flushing = t.flush().then(() => (done = true));
    await settle();
    expect(capture.sent).toHaveLength(1);
    expect(done).toBe(false);
    answer(new Response('{"ok":true}', { status: 200 }));
    await flushing;
    expect(done).toBe(true);
  });

  test('resolves when fetch rejects, and keeps the messages for a retry with the same messageIds', async () => {
    const { tracker: t, capture } = trackerWithCapture({}, () => Promise.reject(new TypeError('Failed to fetch')));
    t.track('a');
    t.track('b');
    await expect(t.flush()).resolves.toBeUndefined();
    const firstIds = capture.messages().map((m) => m.messageId);
    capture.respondWith(status(200));
    await t.flush();
    const retried = capture.sent.at(-1)!.body.batch.map((m) => m.messageId);
    expect(retried).toEqual(firstIds);
  });

  test('resolves when fetch throws synchronously', async () => {
    const { tracker: t } = trackerWithCapture({}, () => {
      throw new TypeError('fetch is broken');
    });
    t.track('a');
    await expect(t.flush()).resolves.toBeUndefined();
  });

  test('with nothing queued resolves without a request', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    await t.flush();
    expect(capture.fetch).not.toHaveBeenCalled();
  });
  test('two flushes at once send each message once', async () => {
    const { tracker: t, capture } = trackerWithCapture({ batchSize: 2 });
    for (let i = 0; i < 5; i++) t.track(`e${i}`);
    await Promise.all([t.flush(), t.flush(), t.flush()]);
    expect(events(capture.messages())).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });
});

describe('delivery answers', () => {
  test.each([500, 502, 503, 408, 429])('%d keeps the messages for a retry', async (code) => {
    const { tracker: t, capture, errors } = trackerWithErrors({}, status(code));
    t.track('a');
    await t.flush();
    expect(errors()).toEqual([]);
    capture.respondWith(status(200));
    await t.flush();
    expect(capture.sent).toHaveLength(2);
    expect(capture.sent[1]!.body.batch[0]!.messageId).toBe(capture.sent[0]!.body.batch[0]!.messageId);
    await t.flush();
    expect(capture.sent).toHaveLength(2);
  });

  test('after a 5xx the retry happens by itself, later', async () => {
    fakeTime();
    const { tracker: t, capture } = trackerWithCapture({ flushInterval: 100 }, status(503));
    t.track('a');
    await t.flush();
    expect(capture.sent).toHaveLength(1);
    capture.respondWith(status(200));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(capture.sent).toHaveLength(2);
    expect(capture.sent[1]!.body.batch[0]!.messageId).toBe(capture.sent[0]!.body.batch[0]!.messageId);
  });

  test.each([400, 401, 403, 404, 413])('%d drops the batch and reports it through onError', async (code) => {
    const { tracker: t, capture, errors } = trackerWithErrors({}, status(code));
    t.track('a');
    await t.flush();
    expect(errors()).toEqual([expect.stringContaining(String(code))]);
    capture.respondWith(status(200));
    await t.flush();
    expect(capture.sent).toHaveLength(1);
  });

  test('a message over 32 KB is refused with onError, even under a larger maxBatchBytes', async () => {
    const { tracker: t, capture, onError, errors } = trackerWithErrors({ maxBatchBytes: 60_000 });
    t.track('huge', { filler: 'x'.repeat(33 * 1024) });
    t.track('under', { filler: 'x'.repeat(31 * 1024) });
    expect(events(await flushed(t, capture))).toEqual(['under']);
    expect(errors()).toHaveLength(1);
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(Error);
  });
});

describe('invalid options', () => {
  test.each([
    ['endpoint', { endpoint: 'collect.example.com' }],
    ['endpoint', {}],
    ['batchSize', { endpoint: 'https://c.example/v1/batch', batchSize: 0 }],
    ['persistence', { endpoint: 'https://c.example/v1/batch', persistence: 'session' }],
    ['sessionTimeout', { endpoint: 'https://c.example/v1/batch', sessionTimeout: -5 }],
  ])('console.error names `%s` and the tracker is inert', async (name, options) => {
    const logs = spyConsole();
    const capture = captureFetch();
    const t = createTracker(options as TrackerOptions);
    expect(consoleLines(logs.error).some((line) => line.startsWith('[idstitch]') && line.includes(`\`${name}\``))).toBe(true);
    t.identifyUser('user_1');
    t.identifyCompany('acme');
    t.setUserProperties({ a: 1 });
    t.track('x');
    t.page();
    t.reset();
    t.optOut();
    t.optIn();
    await expect(t.flush()).resolves.toBeUndefined();
    expect(t.getAnonymousId()).toBeNull();
    expect(t.getUserId()).toBeNull();
    expect(t.getCompanyId()).toBeNull();
    expect(t.getSessionId()).toBeNull();
    expect(capture.fetch).not.toHaveBeenCalled();
    expect(localEntries()).toEqual({});
    expect(cookies()).toEqual({});
  });

  test('onError given with an invalid option receives the problem', () => {
    spyConsole();
    const onError = vi.fn();
    createTracker({ endpoint: 'https://c.example/v1/batch', batchSize: -1, onError });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0].message).toContain('`batchSize`');
  });

  test.each([undefined, null, 'https://c.example/v1/batch', 42])('options %j: an inert tracker, no throw', (options) => {
    spyConsole();
    const t = createTracker(options as unknown as TrackerOptions);
    expect(t.getAnonymousId()).toBeNull();
  });
});

describe('unknown options', () => {
  test('each is warned about once, by name, and the tracker works', async () => {
    const console = spyConsole();
    const { tracker: t, capture } = trackerWithCapture({ flushIntervall: 10, apiHost: 'x' } as never);
    expect(consoleLines(console.warn)).toEqual(['[idstitch] unknown option `flushIntervall` ignored', '[idstitch] unknown option `apiHost` ignored']);
    t.track('x');
    expect(await flushed(t, capture)).toHaveLength(1);
  });
});

describe('debug', () => {
  test('debug: true logs lines prefixed [idstitch]', async () => {
    const logs = spyConsole();
    const { tracker: t, capture } = trackerWithCapture({ debug: true });
    t.track('x');
    await flushed(t, capture);
    const lines = consoleLines(logs.log);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.startsWith('[idstitch]')).toBe(true);
  });

  test('debug off: no log lines', async () => {
    const logs = spyConsole();
    const { tracker: t, capture } = trackerWithCapture();
    t.track('x');
    await flushed(t, capture);
    expect(logs.log).not.toHaveBeenCalled();
  });
});

describe('autoPage', () => {
  const pages = (messages: Message[]) => messages.filter((m): m is PageMessage => m.type === 'page').map((m) => m.context.page!.path);

  test('off by default: no page on init', async () => {
    const { tracker: t, capture } = trackerWithCapture();
    history.pushState(null, '', '/elsewhere');
    expect(await flushed(t, capture)).toEqual([]);
  });

  test('a page view on init, on pushState and replaceState to a new URL, and on popstate', async () => {
    const { tracker: t, capture } = trackerWithCapture({ autoPage });
    history.pushState(null, '', '/one');
    history.replaceState(null, '', '/two');
    history.replaceState(null, '', '/two');
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(pages(await flushed(t, capture))).toEqual(['/', '/one', '/two', '/two']);
  });

  test('the page view carries the new URL in its properties', async () => {
    const { tracker: t, capture } = trackerWithCapture({ autoPage });
    history.pushState(null, '', '/search?q=ids');
    const last = (await flushed(t, capture)).at(-1) as PageMessage;
    expect(last.properties).toMatchObject({ path: '/search', search: '?q=ids', url: 'http://localhost:3000/search?q=ids' });
  });

  test('true on the npm path: one error naming the import, and an inert tracker (the script tag turns true into the feature)', async () => {
    const { tracker: t, capture, errors } = trackerWithErrors({ autoPage: true as never });
    expect(errors()).toEqual(["option `autoPage` must be the autoPage export of 'idstitch': tracker disabled"]);
    t.page();
    expect(await flushed(t, capture)).toEqual([]);
  });

  test('pushState still navigates and returns what the original returns', () => {
    trackerWithCapture({ autoPage });
    expect(history.pushState({ step: 1 }, '', '/step')).toBeUndefined();
    expect(location.pathname).toBe('/step');
    expect(history.state).toEqual({ step: 1 });
  });
});

describe('hostile arguments never throw', () => {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const throwingGetter = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('getter'); } });
  const trap = () => {
    throw new Error('trap');
  };
  const throwingProxy = new Proxy({}, {
    get: trap, set: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap,
    defineProperty: trap, deleteProperty: trap, apply: trap, construct: trap, isExtensible: trap,
    preventExtensions: trap, setPrototypeOf: trap,
  });
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const huge = 'x'.repeat(2 * 1024 * 1024);

  const HOSTILE: [string, unknown][] = [
    ['a symbol', Symbol('hostile')],
    ['a circular object', circular],
    ['a BigInt', 10n ** 30n],
    ['an object holding a BigInt', { n: 1n }],
    ['an object with a throwing getter', throwingGetter],
    ['a Proxy that throws on every trap', throwingProxy],
    ['a revoked Proxy', revoked.proxy],
    ['a function', () => 'x'],
    ['a huge string', huge],
    ['an object holding a huge string', { huge }],
    ['a null-prototype object', Object.create(null)],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an array', [1, 2, 3]],
    ['a Date', new Date(Number.NaN)],
  ];

  /** Calls every public method with `value` in every argument position. */
  function callEverything(t: Tracker, value: unknown): void {
    const v = value as never;
    t.identifyUser(v, v);
    t.identifyUser('user_1', v);
    t.identifyCompany(v, v);
    t.identifyCompany('acme', v);
    t.setUserProperties(v);
    t.track(v, v);
    t.track('event', v);
    t.page(v, v);
    t.page('name', v);
    t.page(v);
    (t.reset as (...a: unknown[]) => void)(v);
    (t.optOut as (...a: unknown[]) => void)(v);
    (t.optIn as (...a: unknown[]) => void)(v);
    void (t.flush as (...a: unknown[]) => Promise<void>)(v);
    for (const getter of ['getAnonymousId', 'getUserId', 'getCompanyId', 'getSessionId'] as const) {
      (t[getter] as (...a: unknown[]) => unknown)(v);
    }
  }

  test.each(HOSTILE)('%s, in every argument of every method', async (_name, value) => {
    const { tracker: t, capture } = trackerWithErrors();
    expect(() => callEverything(t, value)).not.toThrow();
    await expect(t.flush()).resolves.toBeUndefined();
    // The tracker is still usable afterwards.
    t.track('still alive');
    expect(events(await flushed(t, capture))).toContain('still alive');
    for (const request of capture.sent) expect(request.bytes).toBeLessThanOrEqual(32 * 1024);
  });

  test.each(HOSTILE)('%s as the options of createTracker', (_name, value) => {
    spyConsole();
    expect(() => createTracker(value as TrackerOptions)).not.toThrow();
  });

  test('a circular object or a BigInt is a clear error through onError, never a throw; the other messages go out', async () => {
    spyConsole();
    const { tracker: t, capture, errors } = trackerWithErrors();
    expect(() => t.track('loop', { circular })).not.toThrow();
    expect(() => t.track('big', { big: 12345678901234567890n })).not.toThrow();
    t.track('fine');
    expect(events(await flushed(t, capture))).toEqual(['fine']);
    expect(errors()).toEqual([expect.stringMatching(/track\(\) failed: TypeError/), expect.stringMatching(/track\(\) failed: TypeError/)]);
  });

  test('hostile callbacks: beforeSend returning junk and onError throwing', async () => {
    spyConsole();
    const { tracker: t } = trackerWithCapture({
      beforeSend: () => throwingProxy as Message,
      onError: () => {
        throw throwingProxy;
      },
    });
    expect(() => callEverything(t, 'ok')).not.toThrow();
    await expect(t.flush()).resolves.toBeUndefined();
  });
});
