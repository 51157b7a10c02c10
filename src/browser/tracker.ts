import { checkId } from '../protocol/ids.js';
import { BROWSER_LIBRARY, LIMITS } from '../protocol/messages.js';
import type { Message, MessageContext, MessageType, PageContext, Properties } from '../protocol/messages.js';
import { storagePrefix } from '../protocol/storageKeys.js';
import { now, runAt } from './clock.js';
import type { AutoPage } from './autoPage.js';
import { campaignFrom, pageContext, staticContext } from './context.js';
import { anonymousIdentity, eraseIdentity, KEY, loadIdentity, MAX_TOKEN_LENGTH, saveIdentity } from './identity.js';
import type { IdentityState } from './identity.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { resolveOptions } from './options.js';
import type { Consent, ResolvedOptions, TrackerOptions } from './options.js';
import { openQueueStore } from './persistedQueue.js';
import { createQueue, MAX_QUEUED } from './queue.js';
import type { QueuedMessage } from './queue.js';
import { createSession } from './session.js';
import { openStores } from './storage.js';
import { read, write } from './store/types.js';
import { beaconBatch, postBatch } from './transport.js';
import { uuid } from './uuid.js';
import { VERSION } from '../protocol/version.js';

/** A user or company id: strings are kept as given (case-sensitive), finite numbers become strings. */
export type Id = string | number;

/** The third argument of {@link Tracker.identifyUser}. */
export interface IdentifyOptions {
  /**
   * The identity token your server made for this user at login (`signIdentity`
   * in `idstitch/server`); opaque to the SDK, a non-empty string of at most
   * 512 characters (anything else is ignored with a warning). Kept in
   * localStorage beside the user id, never in a cookie, and sent as
   * `context.identityToken` on every message of this user, so a collector that
   * verifies identity counts them for the user. Omitted: the token already
   * kept for this user stays.
   */
  token?: string;
}

/** The browser SDK. Every method is safe to call with anything: none throws into the page. */
export interface Tracker {
  /**
   * Ties this device's anonymous id to `userId` (call it at login). The same id again merges traits (and a new
   * `token` replaces the kept one); a different id while identified first splits, as {@link Tracker.reset}.
   *
   * @example
   * tracker.identifyUser('u_8f2k', { plan: 'team' }, { token: session.identityToken });
   */
  identifyUser(userId: Id, traits?: Properties, options?: IdentifyOptions): void;
  /** Links the current user to a company; every later message carries `context.groupId` until {@link Tracker.reset}. */
  identifyCompany(companyId: Id, traits?: Properties): void;
  /**
   * Sends an `identify` with traits for the current visitor, identified or not. A `uid` or `userId` among
   * them is not an identify: it is left out with a warning (call {@link Tracker.identifyUser}).
   */
  setUserProperties(traits: Properties): void;
  /** Records an event. */
  track(event: string, properties?: Properties): void;
  /** Records a page view with url, path, title, referrer and search. */
  page(name?: string | null, properties?: Properties): void;
  /** Logout: forgets user, company, traits and identity token; starts a new anonymous id and session. */
  reset(): void;
  /** Sends everything queued now; resolves when the collector answered or the attempt failed. Never rejects. */
  flush(): Promise<void>;
  /** Stops all sending, across reloads, until {@link Tracker.optIn}. */
  optOut(): void;
  /** Resumes sending after {@link Tracker.optOut}. */
  optIn(): void;
  /**
   * Passes on the visitor's consent (README "Consent"): `'granted'` reads or creates the identity and sends the
   * calls held while pending, with their times; `'denied'` drops them, removes what the SDK stored and keeps
   * nothing from then on; `'pending'` holds calls again.
   *
   * @example
   * consentManager.on('change', (accepted) => tracker.setConsent(accepted ? 'granted' : 'denied'));
   */
  setConsent(state: Consent): void;
  getAnonymousId(): string | null;
  getUserId(): string | null;
  getCompanyId(): string | null;
  getSessionId(): string | null;
}

/** Every method of {@link Tracker}: the calls held while consent is pending, then the others, then the getters. */
export const TRACKER_METHODS = [
  'identifyUser', 'identifyCompany', 'setUserProperties', 'track', 'page', 'reset', 'optOut', 'optIn',
  'flush', 'setConsent', 'getAnonymousId', 'getUserId', 'getCompanyId', 'getSessionId',
] as const;
type Method = (typeof TRACKER_METHODS)[number];
/** The methods whose calls wait for consent: the first eight. */
const HELD_METHODS = TRACKER_METHODS.slice(0, 8);

/** A started tracker's methods, and how to stop it when consent is withdrawn. */
type Started = Partial<Record<Method, (...args: unknown[]) => unknown>> & { _stop(): void };

/** What a method answers when it cannot act (an inert tracker, a failure, a call before `init`): getters null, `flush` a resolved promise. */
export const inertResult = (method: string): unknown => (method === 'flush' ? Promise.resolve() : method.startsWith('get') ? null : undefined);

/**
 * The public face of a tracker: every method turns whatever it meets into a
 * reported error, never a throw into the page. Without actions (a bad
 * config, no window) it is inert: it does nothing and its getters answer null.
 */
function publicTracker(actions: (name: Method) => ((...args: unknown[]) => unknown) | undefined, fail: (error: unknown, method: string) => void): Tracker {
  const tracker: Record<string, unknown> = {};
  for (const name of TRACKER_METHODS) {
    const failed = (error: unknown) => fail(error, name);
    tracker[name] = (...args: unknown[]) => {
      try {
        const action = actions(name);
        if (action) {
          const result = action(...args);
          return name === 'flush' ? (result as Promise<void>).catch(failed) : result;
        }
      } catch (error) {
        failed(error);
      }
      return inertResult(name);
    };
  }
  return tracker as unknown as Tracker;
}

/**
 * Creates a tracker. A missing or invalid option gets one console error
 * naming it and an inert tracker; in Node (no `window`) the tracker is inert
 * too, so server-rendered code can call it freely.
 *
 * Consent (README "Consent"): while pending, the calls that act wait in
 * memory with their times and pages (bounded as the queue is, the oldest
 * dropped) and nothing is read, stored or sent; granted starts the tracker
 * and replays them; denied forgets them and everything the SDK stored.
 *
 * @example
 * const tracker = createTracker({ endpoint: 'https://collect.example.com/v1/batch' });
 * tracker.page();
 * tracker.identifyUser('u_8f2k', { plan: 'team' });
 */
export function createTracker(input: TrackerOptions): Tracker {
  let started: Started | undefined;
  let held: [Method, unknown[], number, PageContext][] | undefined;
  let setConsent: ((state: unknown) => void) | undefined;
  let logger = createLogger();
  const fail = (error: unknown, method: string) => logger._error('internal', `${method}() failed`, error);
  const hold = (name: Method) => (...args: unknown[]) => {
    if (held!.push([name, args, now(), pageContext()]) > MAX_QUEUED) {
      held!.shift();
      logger._error('queue-full', 'queue full: 1 dropped');
    }
  };
  const tracker = publicTracker(
    (name) => (name === 'setConsent' ? setConsent : held ? ((HELD_METHODS as readonly string[]).includes(name) ? hold(name) : undefined) : started?.[name]),
    fail,
  );
  try {
    const options = resolveOptions(input);
    const refused = typeof options === 'string';
    // A bad config is still reported to the page's onError, when that one is a function (the logger checks).
    logger = createLogger(!refused && options.debug, (refused ? (input as Partial<TrackerOptions> | null) : options)?.onError);
    if (refused) logger._error('invalid-option', `${options}: tracker disabled`);
    // No document: server rendering, a worker (Deno 1 has a window without one).
    else if (typeof document !== 'undefined') {
      // First: the link's id is read and taken off the address bar before anything else, autoPage's view included.
      const linked = options.linkDomains?.(tracker, logger);
      setConsent = (state) => {
        const calls = held;
        held = undefined;
        if (state === 'granted') {
          started ??= startTracker(options, logger, linked);
          calls?.forEach(([name, args, time, page]) => runAt(time, () => (tracker[name] as (...a: unknown[]) => void)(...args), page));
        } else if (state === 'pending') held = calls ?? [];
        else if (state === 'denied') {
          if (started) started._stop();
          else eraseIdentity(openStores(options, logger), storagePrefix(options.writeKey));
          started = undefined;
        } else {
          held = calls;
          return logger._warn('setConsent: state must be granted, pending or denied');
        }
      };
      // Global Privacy Control: denied until the site grants (no erasure: a visitor who agreed is granted on every
      // page), unless the site denies itself.
      if (options.consent !== 'denied' && options.respectPrivacySignals && (navigator as { globalPrivacyControl?: unknown }).globalPrivacyControl === true) {
        logger._debug('GPC: denied');
      }
      else setConsent(options.consent);
      if (options.autoPage) (options.autoPage as AutoPage)(tracker);
    }
  } catch (error) {
    fail(error, 'createTracker');
  }
  return tracker;
}

/** The tracker's state and its actions, in a page; `linked`: the anonymous id a link from another domain carried. */
function startTracker(options: ResolvedOptions, logger: Logger, linked?: string): Started {
  const { endpoint, writeKey, beforeSend } = options;
  const prefix = storagePrefix(writeKey);
  const stores = openStores(options, logger);
  const state = stores._state;
  const session = createSession(state, prefix + KEY.session, options.sessionTimeout);
  session._touch(now());
  // The same for the whole page life; the campaign is the landing URL's.
  const fixedContext = { library: { name: BROWSER_LIBRARY, version: VERSION }, ...staticContext(), campaign: campaignFrom(location.search) };

  const writeKeyField = writeKey ? `,"writeKey":${JSON.stringify(writeKey)}` : '';
  const body = (batch: QueuedMessage[]) => `{"batch":[${batch.map((m) => m._json)}],"sentAt":"${new Date().toISOString()}"${writeKeyField}}`;
  // Limits are in bytes; TextEncoder counts UTF-8 natively, faster than any loop in JS.
  const encoder = new TextEncoder();
  const queued = (json: string): QueuedMessage => ({ _json: json, _bytes: encoder.encode(json).length });
  // Every sentAt of years 1970 to 9999 has the same length as now's.
  const envelopeBytes = queued(body([]))._bytes;
  const maxMessageBytes = Math.min(LIMITS.messageBytes, options.maxBatchBytes - envelopeBytes);
  const queueStore = stores._storage && openQueueStore(stores._storage, prefix, queued);
  const queue = createQueue({
    ...options,
    _envelopeBytes: envelopeBytes,
    _logger: logger,
    _store: queueStore,
    _send: (batch) => postBatch(endpoint, body(batch)),
    _beacon: (batch) => beaconBatch(endpoint, body(batch)),
  });
  // A reload, a closed tab or a crash left messages in storage: they go out first.
  queueStore?._adopt(queue._restore);
  // Into the back/forward cache (`persisted`) the page is not gone: its messages stay its own, or the next page
  // would take them and both would send them when it comes back.
  addEventListener('pagehide', (event) => queue._hide(!event.persisted));
  addEventListener('online', queue._flush);
  // Also covers a return from the back/forward cache, which makes the page visible again.
  document.addEventListener('visibilitychange', () => (document.hidden ? queue._hide(false) : queue._show()));

  // What the tabs' shared store held when this tab last read or wrote it: a difference means another tab changed the
  // identity. That store is `state` (localStorage, else the cookie), the last of the id stores. The token is there too
  // where there is localStorage, so a new token in another tab reaches this tab's next message.
  const storedIdentity = () => `${read(state, prefix + KEY.anonymousId)}|${read(state, prefix + KEY.userId)}|${read(state, prefix + KEY.token)}`;
  let identity!: IdentityState;
  let optedOut!: boolean;
  let seenIdentity!: string;
  // Consent withdrawn: another tab's change must not write the identity back.
  let stopped = false;
  // Also the first read: another tab may change all three (a login, a reset, an opt-out).
  const reload = () => {
    identity = loadIdentity(stores, prefix);
    optedOut = read(state, prefix + KEY.optOut) === '1';
    seenIdentity = storedIdentity();
  };
  reload();
  const persist = () => {
    saveIdentity(stores, prefix, identity);
    seenIdentity = storedIdentity();
  };
  // The visitor of the other domain, unless somebody is signed in here: they stay who they are.
  if (linked && !identity._userId && linked !== identity._anonymousId) {
    identity = { ...anonymousIdentity(), _anonymousId: linked };
    persist();
  }
  // Another tab's reset() or identify reaches this one through the storage event.
  addEventListener('storage', ({ key }) => {
    if (!stopped && (key === null || (key.startsWith(prefix) && !key.startsWith(prefix + 'q_')))) reload();
  });

  function enqueue(type: MessageType, fields: Properties): void {
    // A reset() or login in another tab must reach this tab before its next message, even ahead of the storage event.
    if (storedIdentity() !== seenIdentity) reload();
    if (optedOut) return;
    const time = now();
    // Absent values are undefined, which JSON leaves out: no campaign without utm_*, no groupId before identifyCompany.
    const context: MessageContext = {
      ...fixedContext,
      page: pageContext(),
      sessionId: session._touch(time),
      groupId: identity._companyId || undefined,
      // Only ever set together with the user id: an anonymous message carries none.
      identityToken: identity._token,
    };
    let message = {
      type,
      messageId: uuid(),
      anonymousId: identity._anonymousId,
      userId: identity._userId,
      timestamp: new Date(time).toISOString(),
      context,
      ...fields,
    } as Message | null | undefined;
    // Cycles or BigInt in the properties throw here: reported as a clear error, the message is not sent.
    let json = JSON.stringify(message);
    if (beforeSend) {
      try {
        // A copy: edits made for this message must not leak into the tracker's state or later messages.
        message = beforeSend(JSON.parse(json) as Message);
      } catch (error) {
        return logger._error('callback', `${type} dropped: beforeSend threw`, error);
      }
      if (!message) return logger._debug('beforeSend dropped', type);
      json = JSON.stringify(message);
    }
    const item = queued(json);
    if (item._bytes > maxMessageBytes) {
      return logger._error('invalid-argument', `${type} dropped: ${item._bytes} bytes, over ${maxMessageBytes}`);
    }
    queue._push(item);
    logger._debug(`${type} queued`, message);
  }

  /** `value` when it is a plain object; otherwise `{}` and a warning. */
  function objectArgument(value: unknown, what: string): Properties {
    if (value != null && (typeof value !== 'object' || Array.isArray(value))) logger._warn(`${what} must be an object`);
    else if (value) return value as Properties;
    return {};
  }

  /** A valid id from a public method's argument, or undefined after a warning. */
  function validId(value: unknown, method: string): string | undefined {
    const check = checkId(value);
    if (check.ok) return check.id;
    logger._warn(`${method}: id ${check.reason}`);
  }

  function reset(): void {
    identity = anonymousIdentity();
    persist();
    session._renew(now());
  }

  /** Merges traits into the current visitor's and announces them with an `identify`. */
  function identify(traits: Properties): void {
    identity._traits = { ...identity._traits, ...traits };
    persist();
    enqueue('identify', { traits: identity._traits });
  }

  function setOptOut(value: boolean): void {
    optedOut = value;
    write(state, prefix + KEY.optOut, value ? '1' : null);
    if (value) queue._clear();
  }

  return {
    identifyUser(userId, traits, options) {
      const id = validId(userId, 'identifyUser');
      if (!id) return;
      // Read the arguments before anything changes: a throwing getter must leave the identity as it was.
      const newTraits = { ...objectArgument(traits, 'identifyUser traits') };
      const token = (options as IdentifyOptions | undefined)?.token;
      if (identity._userId && identity._userId !== id) reset();
      identity._userId = id;
      if (token !== undefined) {
        if (typeof token === 'string' && token && token.length <= MAX_TOKEN_LENGTH) identity._token = token;
        // The identify still goes out: without a token it is the visitor's own claim, as before verification.
        else logger._warn(`identifyUser: token must be a string of 1 to ${MAX_TOKEN_LENGTH} chars`);
      }
      identify(newTraits);
    },
    identifyCompany(companyId, traits) {
      const id = validId(companyId, 'identifyCompany');
      if (!id) return;
      identity._companyId = id;
      persist();
      enqueue('group', { groupId: id, traits: objectArgument(traits, 'identifyCompany traits') });
    },
    setUserProperties(traits) {
      // Fullstory's rule: a uid set as a property is an identify. Here that is identifyUser's job (its split
      // rules, its token), so those keys are refused with a warning and the other traits still go.
      const { uid, userId, ...rest } = objectArgument(traits, 'setUserProperties traits');
      if (uid !== undefined || userId !== undefined) logger._warn('setUserProperties: uid and userId ignored, call identifyUser');
      identify(rest);
    },
    track(event, properties) {
      if (typeof event !== 'string' || !event.trim()) return logger._warn('track: event must be a string');
      enqueue('track', { event, properties: objectArgument(properties, 'track properties') });
    },
    page(name, properties) {
      const named = typeof name === 'string';
      if (!named && name != null) logger._warn('page: name must be a string');
      enqueue('page', { name: (named && name) || null, properties: { ...pageContext(), ...objectArgument(properties, 'page properties') } });
    },
    reset,
    flush: queue._flush,
    optOut: () => setOptOut(true),
    optIn: () => setOptOut(false),
    getAnonymousId: () => identity._anonymousId,
    getUserId: () => identity._userId,
    getCompanyId: () => identity._companyId,
    getSessionId: session._current,
    _stop() {
      stopped = true;
      queue._clear();
      eraseIdentity(stores, prefix);
    },
  };
}
