import { uuid } from './uuid.js';
import { checkId } from '../protocol/ids.js';
import { BROWSER_LIBRARY, LIMITS } from '../protocol/messages.js';
import type { Message, MessageContext, MessageType, Properties } from '../protocol/messages.js';
import { storagePrefix } from '../protocol/storageKeys.js';
import { now } from './clock.js';
import { campaignFrom, pageContext, staticContext } from './context.js';
import { LOCATION_CHANGE, watchHistory } from './history.js';
import { KEY, loadIdentity, saveIdentity } from './identity.js';
import type { IdentityState } from './identity.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { resolveOptions } from './options.js';
import type { TrackerOptions } from './options.js';
import { createQueue } from './queue.js';
import { createSession } from './session.js';
import { openStores } from './storage.js';
import { beaconBatch, postBatch } from './transport.js';
import { openQueueStore, toQueued } from './persistedQueue.js';
import { VERSION } from './version.js';

/** A user or company id: strings are kept as given (case-sensitive), finite numbers become strings. */
export type Id = string | number;

/** The browser SDK. Every method is safe to call with anything: none throws into the page. */
export interface Tracker {
  /** Ties this device's anonymous id to `userId` (call it at login). The same id again merges traits; a different id while identified first splits, as {@link Tracker.reset}. */
  identifyUser(userId: Id, traits?: Properties): void;
  /** Links the current user to a company; every later message carries `context.groupId` until {@link Tracker.reset}. */
  identifyCompany(companyId: Id, traits?: Properties): void;
  /** Sends an `identify` with traits for the current visitor, identified or not. */
  setUserProperties(traits: Properties): void;
  /** Records an event. */
  track(event: string, properties?: Properties): void;
  /** Records a page view with url, path, title, referrer and search. */
  page(name?: string | null, properties?: Properties): void;
  /** Logout: forgets user, company and traits; starts a new anonymous id and session. */
  reset(): void;
  /** Sends everything queued now; resolves when the collector answered or the attempt failed. Never rejects. */
  flush(): Promise<void>;
  /** Stops all sending, across reloads, until {@link Tracker.optIn}. */
  optOut(): void;
  /** Resumes sending after {@link Tracker.optOut}. */
  optIn(): void;
  getAnonymousId(): string | null;
  getUserId(): string | null;
  getCompanyId(): string | null;
  getSessionId(): string | null;
}

/** Every method of {@link Tracker}: the actions, then the getters. */
export const TRACKER_METHODS = [
  'identifyUser', 'identifyCompany', 'setUserProperties', 'track', 'page', 'reset', 'flush', 'optOut', 'optIn',
  'getAnonymousId', 'getUserId', 'getCompanyId', 'getSessionId',
] as const;

type Actions = Partial<Record<(typeof TRACKER_METHODS)[number], (...args: unknown[]) => unknown>>;

/**
 * The public face of a tracker: every method turns whatever it meets into a
 * reported error, never a throw into the page. With no actions (a bad
 * config, no window) it is inert: it does nothing and its getters answer null.
 */
function publicTracker(actions: Actions, logger: Logger): Tracker {
  const tracker: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of TRACKER_METHODS) {
    const fail = (error: unknown) => logger.error('internal', `${name}() failed`, error);
    tracker[name] = (...args) => {
      let result: unknown = name.startsWith('get') ? null : undefined;
      try {
        if (actions[name]) result = actions[name](...args);
      } catch (error) {
        fail(error);
      }
      return name === 'flush' ? Promise.resolve(result).catch(fail) : result;
    };
  }
  return tracker as unknown as Tracker;
}

/**
 * Creates a tracker. A missing or invalid option gets one console error
 * naming it and an inert tracker; in Node (no `window`) the tracker is inert
 * too, so server-rendered code can call it freely.
 *
 * @example
 * const tracker = createTracker({ endpoint: 'https://collect.example.com/v1/batch' });
 * tracker.page();
 * tracker.identifyUser('u_8f2k', { plan: 'team' });
 */
export function createTracker(options: TrackerOptions): Tracker {
  try {
    return startTracker(options);
  } catch (error) {
    const logger = createLogger(false);
    logger.error('internal', 'createTracker failed', error);
    return publicTracker({}, logger);
  }
}

function startTracker(input: TrackerOptions): Tracker {
  const resolved = resolveOptions(input);
  if (typeof resolved === 'string') {
    const onError = (input as Partial<TrackerOptions> | null)?.onError;
    const logger = createLogger(false, typeof onError === 'function' ? onError : undefined);
    logger.error('invalid-option', `${resolved}: tracker disabled`);
    return publicTracker({}, logger);
  }
  const options = resolved;
  const logger = createLogger(options.debug, options.onError);
  if (typeof window === 'undefined' || typeof document === 'undefined') {
    return publicTracker({}, logger);
  }

  const prefix = storagePrefix(options.writeKey);
  const stores = openStores(options, logger);
  let identity: IdentityState = loadIdentity(stores, prefix);
  const session = createSession(stores.state, prefix + KEY.session, options.sessionTimeout);
  session.touch(now());
  let optedOut = stores.state.get(prefix + KEY.optOut) === '1';
  const library = { name: BROWSER_LIBRARY, version: VERSION };
  const fixedContext = staticContext();
  const campaign = campaignFrom(location.search);

  const writeKeyField = options.writeKey ? `,"writeKey":${JSON.stringify(options.writeKey)}` : '';
  const envelope = (messages: string, sentAt: string) => `{"batch":[${messages}],"sentAt":"${sentAt}"${writeKeyField}}`;
  // Limits are in bytes; TextEncoder counts UTF-8 natively, faster than any loop in JS.
  const encoder = new TextEncoder();
  const utf8Length = (text: string) => encoder.encode(text).length;
  const envelopeBytes = utf8Length(envelope('', new Date(0).toISOString()));
  const maxMessageBytes = Math.min(LIMITS.messageBytes, options.maxBatchBytes - envelopeBytes);
  const body = (batch: { json: string }[]) => envelope(batch.map((m) => m.json).join(','), new Date().toISOString());
  const queueStore = stores.storage && openQueueStore(stores.storage, prefix);
  const queue = createQueue({
    ...options,
    envelopeBytes,
    logger,
    store: queueStore,
    send: (batch) => postBatch(options.endpoint, body(batch)),
    beacon: (batch) => beaconBatch(options.endpoint, body(batch)),
  });
  // A reload, a closed tab or a crash left messages in storage: they go out first.
  queueStore?.adopt((messages) => {
    if (Array.isArray(messages)) queue.restore(messages.filter((m) => typeof m?.messageId === 'string').map((m) => toQueued(m, utf8Length)));
  });
  addEventListener('pagehide', () => queue.hide(true));
  addEventListener('online', () => void queue.flush());
  // Also covers a return from the back/forward cache, which makes the page visible again.
  document.addEventListener('visibilitychange', () => (document.visibilityState === 'hidden' ? queue.hide(false) : queue.show()));

  // What the tabs' shared store held when this tab last read or wrote it: a difference means another tab changed the identity.
  const lastStore = stores.ids[stores.ids.length - 1]!;
  const storedIdentity = () => `${lastStore.get(prefix + KEY.anonymousId)}|${lastStore.get(prefix + KEY.userId)}`;
  let seenIdentity = storedIdentity();
  const reload = () => {
    identity = loadIdentity(stores, prefix);
    optedOut = stores.state.get(prefix + KEY.optOut) === '1';
    seenIdentity = storedIdentity();
  };
  const persist = () => {
    saveIdentity(stores, prefix, identity);
    seenIdentity = storedIdentity();
  };

  function enqueue(type: MessageType, fields: Record<string, unknown>): void {
    // A reset() or login in another tab must reach this tab before its next message, even ahead of the storage event.
    if (storedIdentity() !== seenIdentity) reload();
    if (optedOut) return;
    const time = now();
    const context: MessageContext = { library, page: pageContext(), ...fixedContext, sessionId: session.touch(time) };
    if (campaign) context.campaign = campaign;
    if (identity.companyId) context.groupId = identity.companyId;
    let message = {
      type,
      messageId: uuid(),
      anonymousId: identity.anonymousId,
      userId: identity.userId,
      timestamp: new Date(time).toISOString(),
      context,
      ...fields,
    } as Message | null | undefined;
    if (options.beforeSend) {
      try {
        // A copy: edits made for this message must not leak into the tracker's state or later messages.
        message = options.beforeSend(JSON.parse(JSON.stringify(message)) as Message);
      } catch (error) {
        return logger.error('callback', `${type} dropped: beforeSend threw`, error);
      }
      if (!message) return logger.debug('beforeSend dropped', type);
    }
    // Cycles or BigInt in the properties throw here: reported as a clear error, the message is not sent.
    const json = JSON.stringify(message);
    const bytes = utf8Length(json);
    if (bytes > maxMessageBytes) {
      return logger.error('invalid-argument', `${type} dropped: ${bytes} bytes, over ${maxMessageBytes}`);
    }
    queue.push({ messageId: message!.messageId, json, bytes });
    logger.debug(`${type} queued`, message);
  }

  /** `value` when it is a plain object; otherwise `{}` and a warning. */
  function objectArgument(value: unknown, what: string): Properties {
    if (value == null) return {};
    if (typeof value === 'object' && !Array.isArray(value)) return value as Properties;
    logger.warn(`${what} must be an object`);
    return {};
  }

  /** A valid id from a public method's argument, or null after a warning. */
  function validId(value: unknown, method: string): string | null {
    const check = checkId(value);
    if (check.ok) return check.id;
    logger.warn(`${method}: id ignored, it ${check.reason}`);
    return null;
  }

  function reset(): void {
    identity = { anonymousId: uuid(), userId: null, companyId: null, traits: {} };
    persist();
    session.renew(now());
    logger.debug('reset', identity.anonymousId);
  }

  /** Merges traits into the current visitor's and announces them with an `identify`. */
  function identify(traits: Properties): void {
    identity.traits = { ...identity.traits, ...traits };
    persist();
    enqueue('identify', { traits: identity.traits });
  }

  function identifyUser(userId: unknown, traits?: unknown): void {
    const id = validId(userId, 'identifyUser');
    if (id === null) return;
    // Read the traits before anything changes: a throwing getter must leave the identity as it was.
    const newTraits = { ...objectArgument(traits, 'identifyUser traits') };
    if (identity.userId !== null && identity.userId !== id) {
      reset();
    }
    identity.userId = id;
    identify(newTraits);
  }

  function identifyCompany(companyId: unknown, traits?: unknown): void {
    const id = validId(companyId, 'identifyCompany');
    if (id === null) return;
    identity.companyId = id;
    persist();
    enqueue('group', { groupId: id, traits: objectArgument(traits, 'identifyCompany traits') });
  }

  function track(event: unknown, properties?: unknown): void {
    if (typeof event !== 'string' || !event.trim()) return logger.warn('track: event must be a string');
    enqueue('track', { event, properties: objectArgument(properties, 'track properties') });
  }

  function page(name?: unknown, properties?: unknown): void {
    if (name != null && typeof name !== 'string') logger.warn('page: name must be a string');
    enqueue('page', { name: typeof name === 'string' && name ? name : null, properties: { ...pageContext(), ...objectArgument(properties, 'page properties') } });
  }

  function setOptOut(value: boolean): void {
    optedOut = value;
    if (value) {
      stores.state.set(prefix + KEY.optOut, '1');
      queue.clear();
    } else {
      stores.state.remove(prefix + KEY.optOut);
    }
    logger.debug('opt out', value);
  }

  // Another tab's reset() or identify reaches this one through the storage event.
  addEventListener('storage', (event) => {
    if (event.key === null || (event.key.startsWith(prefix) && !event.key.startsWith(prefix + 'q_'))) reload();
  });

  const actions: Actions = {
    identifyUser, identifyCompany, track, page, reset,
    setUserProperties: (traits) => identify(objectArgument(traits, 'setUserProperties traits')),
    optOut: () => setOptOut(true),
    optIn: () => setOptOut(false),
    flush: () => queue.flush(),
    getAnonymousId: () => identity.anonymousId,
    getUserId: () => identity.userId,
    getCompanyId: () => identity.companyId,
    getSessionId: () => session.current(),
  };
  const tracker = publicTracker(actions, logger);

  if (options.autoPage) {
    watchHistory();
    const onChange = () => tracker.page();
    window.addEventListener(LOCATION_CHANGE, onChange);
    window.addEventListener('popstate', onChange);
    onChange();
  }
  logger.debug('ready', identity.anonymousId);
  return tracker;
}
