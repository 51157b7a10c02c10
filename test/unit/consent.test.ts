import { afterEach, describe, expect, test, vi } from 'vitest';
import { autoPage } from '../../src/browser/autoPage';
import { MAX_QUEUED } from '../../src/browser/queue';
import type { PageMessage, TrackMessage } from '../../src/protocol/messages';
import { cookies, fakeTime, flushed, localEntries, settle, trackerWithCapture, trackerWithErrors, useCleanPage, spyConsole, consoleLines } from './helpers';

useCleanPage();
afterEach(() => {
  history.replaceState(null, '', '/');
  Reflect.deleteProperty(navigator, 'globalPrivacyControl');
});

const events = (messages: unknown[]) => messages.map((m) => (m as TrackMessage).event ?? (m as PageMessage).type);
const nothingStored = () => {
  expect(localEntries()).toEqual({});
  expect(cookies()).toEqual({});
};
const setGpc = (value: unknown) => Object.defineProperty(navigator, 'globalPrivacyControl', { value, configurable: true });

describe('consent: pending (README "Consent")', () => {
  test('stores nothing, sends nothing, and answers null for the identity', async () => {
    const { tracker: t, capture } = trackerWithCapture({ consent: 'pending', flushInterval: 10 });
    t.page();
    t.identifyUser('u_1', { plan: 'team' }, { token: 'tok' });
    t.identifyCompany('c_1');
    t.setUserProperties({ x: 1 });
    t.track('Docs Searched');
    t.reset();
    t.optIn();
    await t.flush();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(capture.sent).toEqual([]);
    nothingStored();
    expect([t.getAnonymousId(), t.getUserId(), t.getCompanyId(), t.getSessionId()]).toEqual([null, null, null, null]);
  });

  test('granted: the held calls go out in order, with the identity created then and the times and pages of the calls', async () => {
    fakeTime(Date.UTC(2030, 0, 1, 12));
    const { tracker: t, capture } = trackerWithCapture({ consent: 'pending' });
    history.replaceState(null, '', '/pricing');
    t.page();
    vi.advanceTimersByTime(60_000);
    history.replaceState(null, '', '/signup');
    t.track('Signed Up', { plan: 'team' });
    t.identifyUser('u_1');
    vi.advanceTimersByTime(60_000);
    history.replaceState(null, '', '/app');
    t.setConsent('granted');
    const sent = await flushed(t, capture);
    expect(events(sent)).toEqual(['page', 'Signed Up', 'identify']);
    const anonymousId = t.getAnonymousId();
    expect(anonymousId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.map((m) => m.anonymousId)).toEqual([anonymousId, anonymousId, anonymousId]);
    expect(sent.map((m) => m.userId)).toEqual([null, null, 'u_1']);
    expect(sent.map((m) => m.timestamp)).toEqual(['2030-01-01T12:00:00.000Z', '2030-01-01T12:01:00.000Z', '2030-01-01T12:01:00.000Z']);
    expect(sent.map((m) => m.context.page?.path)).toEqual(['/pricing', '/signup', '/signup']);
    expect((sent[0] as PageMessage).properties.path).toBe('/pricing');
    // Only now is anything stored.
    expect(localEntries()['idstitch_aid']).toBe(anonymousId);
    expect(cookies()['idstitch_aid']).toBe(anonymousId);
  });

  test('granted reads the identity stored by an earlier page', async () => {
    const first = trackerWithCapture();
    first.tracker.identifyUser('u_7');
    const { tracker: t, capture } = trackerWithCapture({ consent: 'pending' });
    t.track('Back');
    expect(t.getAnonymousId()).toBeNull();
    t.setConsent('granted');
    expect(t.getAnonymousId()).toBe(first.tracker.getAnonymousId());
    const [message] = (await flushed(t, capture)).filter((m) => m.type === 'track');
    expect(message!.userId).toBe('u_7');
  });

  test('the held calls are bounded like the queue: the oldest go, each loss reported', async () => {
    const { tracker: t, capture, errors } = trackerWithErrors({ consent: 'pending', batchSize: 2500 });
    for (let i = 0; i < MAX_QUEUED + 5; i++) t.track(`e${i}`);
    expect(errors()).toEqual(Array(5).fill('queue full: 1 dropped'));
    t.setConsent('granted');
    const sent = await flushed(t, capture);
    expect(sent).toHaveLength(MAX_QUEUED);
    expect((sent[0] as TrackMessage).event).toBe('e5');
  });

  test('autoPage: its first view waits for consent too', async () => {
    const { tracker: t, capture } = trackerWithCapture({ consent: 'pending', autoPage });
    history.pushState(null, '', '/next');
    await settle();
    expect(capture.sent).toEqual([]);
    nothingStored();
    t.setConsent('granted');
    expect((await flushed(t, capture)).map((m) => m.context.page?.path)).toEqual(['/', '/next']);
  });

  test('optOut while pending takes effect at grant: nothing held is sent, and the choice persists', async () => {
    const { tracker: t, capture } = trackerWithCapture({ consent: 'pending' });
    t.track('before');
    t.optOut();
    t.track('after');
    t.setConsent('granted');
    expect(await flushed(t, capture)).toEqual([]);
    expect(localEntries()['idstitch_opt']).toBe('1');
  });
});

describe('consent: denied', () => {
  test('erases what the SDK stored (but the opt-out choice) and keeps nothing from then on', async () => {
    const { tracker: t, capture } = trackerWithCapture({ writeKey: 'wk_1' });
    t.identifyUser('u_1', { plan: 'team' }, { token: 'tok' });
    t.track('x');
    // Another tab's stored queue goes too.
    localStorage.setItem(`${Object.keys(localEntries())[0]!.replace(/aid$|uid$|cid$|traits$|tok$|sid$|q_.*$/, '')}q_other`, '{"t":0,"q":[]}');
    expect(Object.keys(localEntries()).length).toBeGreaterThan(3);
    t.setConsent('denied');
    nothingStored();
    t.track('after');
    t.identifyUser('u_2');
    await t.flush();
    expect(capture.messages()).toEqual([]);
    nothingStored();
    expect([t.getAnonymousId(), t.getUserId()]).toEqual([null, null]);
  });

  test('denied while pending drops the held calls; a later grant starts a new visitor', async () => {
    const earlier = trackerWithCapture();
    earlier.tracker.track('earlier page');
    const oldId = earlier.tracker.getAnonymousId();
    await earlier.tracker.flush();
    earlier.tracker.setConsent('denied');
    const { tracker: t, capture } = trackerWithCapture({ consent: 'pending' });
    t.track('held');
    t.setConsent('denied');
    nothingStored();
    t.setConsent('granted');
    t.track('after grant');
    const sent = await flushed(t, capture);
    expect(events(sent)).toEqual(['after grant']);
    expect(t.getAnonymousId()).not.toBe(oldId);
  });

  test('consent: "denied" as an option erases an earlier visit at once', () => {
    trackerWithCapture().tracker.identifyUser('u_1');
    expect(localEntries()).not.toEqual({});
    const { tracker: t } = trackerWithCapture({ consent: 'denied' });
    nothingStored();
    expect(t.getAnonymousId()).toBeNull();
  });

  test('the opt-out choice survives a denial', () => {
    const { tracker: t } = trackerWithCapture();
    t.optOut();
    t.setConsent('denied');
    expect(localEntries()).toEqual({ idstitch_opt: '1' });
  });

  test('an unknown state is refused with a warning and changes nothing', async () => {
    const console = spyConsole();
    const { tracker: t, capture } = trackerWithCapture({ consent: 'pending' });
    t.track('held');
    t.setConsent('yes' as never);
    expect(consoleLines(console.warn)).toEqual(['[idstitch] setConsent: state must be granted, pending or denied']);
    t.setConsent('granted');
    expect(events(await flushed(t, capture))).toEqual(['held']);
  });

  test('an invalid consent option is refused like any option', () => {
    const { errors } = trackerWithErrors({ consent: 'maybe' as never });
    expect(errors()[0]).toMatch(/`consent` must be a string like .*granted\|pending\|denied/);
  });
});

describe('Global Privacy Control', () => {
  test('navigator.globalPrivacyControl === true starts the tracker denied, whatever the consent option, and erases nothing', async () => {
    trackerWithCapture().tracker.identifyUser('u_1');
    const before = localEntries();
    setGpc(true);
    const console = spyConsole();
    const { tracker: t, capture } = trackerWithCapture({ consent: 'granted', debug: true });
    t.track('x');
    await t.flush();
    expect(capture.messages()).toEqual([]);
    expect(t.getAnonymousId()).toBeNull();
    expect(localEntries()).toEqual(before);
    expect(consoleLines(console.log).some((line) => /GPC/.test(line))).toBe(true);
    // The visitor agreed explicitly: the site grants, and the earlier identity is read again.
    t.setConsent('granted');
    expect(t.getUserId()).toBe('u_1');
    t.track('y');
    expect(events(await flushed(t, capture))).toEqual(['y']);
  });

  test('with the signal, a site that denies itself still erases', () => {
    trackerWithCapture().tracker.identifyUser('u_1');
    setGpc(true);
    trackerWithCapture({ consent: 'denied' });
    nothingStored();
  });

  test('respectPrivacySignals: false ignores it; a signal that is not exactly true is no signal', async () => {
    setGpc(true);
    const off = trackerWithCapture({ respectPrivacySignals: false });
    expect(off.tracker.getAnonymousId()).not.toBeNull();
    setGpc('1');
    const truthy = trackerWithCapture();
    expect(truthy.tracker.getAnonymousId()).not.toBeNull();
  });
});
