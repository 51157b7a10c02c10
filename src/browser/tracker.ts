import { v4 as uuid } from 'uuid';
import { checkId } from '../protocol/ids.js';
import { BROWSER_LIBRARY, LIMITS, utf8Length } from '../protocol/messages.js';
import type { Message, MessageContext, MessageType, Properties } from '../protocol/messages.js';
import { storagePrefix } from '../protocol/storageKeys.js';
import { now } from './clock.js';
import { campaignFrom, pageContext, staticContext } from './context.js';
import { LOCATION_CHANGE, watchHistory } from './history.js';
import { KEY, loadIdentity, saveIdentity } from './identity.js';
import type { IdentityState } from './identity.js';
import { createLogger, IdstitchError } from './logger.js';
import type { Logger } from './logger.js';
import { resolveOptions, unknownOptions } from './options.js';
import type { TrackerOptions } from './options.js';
import { createQueue } from './queue.js';
import { serialize } from './serialize.js';
import { createSession } from './session.js';
import { openStores } from './storage.js';
import { postBatch } from './transport.js';
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
  page(name?: string, properties?: Properties): void;
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

const noop = () => {};
const nothing = () => null;

/** What a bad config gets: a tracker that does nothing, so the page carries on. */
function inertTracker(): Tracker {
  return {
    identifyUser: noop, identifyCompany: noop, setUserProperties: noop, track: noop, page: noop,
    reset: noop, optOut: noop, optIn: noop, flush: () => Promise.resolve(),
    getAnonymousId: nothing, getUserId: nothing, getCompanyId: nothing, getSessionId: nothing,
  };
}

/** `value` when it is a plain object; otherwise `{}` and a warning. */
function objectArgument(value: unknown, what: string, logger: Logger): Properties {
  if (value === undefined || value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as Properties;
  logger.warn(`${what} must be an object; got ${typeof value}, sent {} instead`);
  return {};
}

/** Runs `fn`, turning anything it throws into a logged, reported error. */
function guarded<A extends unknown[], R>(logger: Logger, name: string, fn: (...args: A) => R, fallback: R) {
  return (...args: A): R => {
    try {
      return fn(...args);
    } catch (error) {
      logger.error(new IdstitchError('internal', `${name}() failed: ${String(error)}`));
      return fallback;
    }
  };
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
    createLogger(false).error(new IdstitchError('internal', `createTracker failed: ${String(error)}`));
    return inertTracker();
  }
}

function startTracker(input: TrackerOptions): Tracker {
  const resolved = resolveOptions(input);
  if (typeof resolved === 'string') {
    const onError = (input as Partial<TrackerOptions> | null)?.onError;
    createLogger(false, typeof onError === 'function' ? onError : undefined).error(new IdstitchError('invalid-option', `${resolved}; this tracker will do nothing`));
    return inertTracker();
  }
  const options = resolved;
  const logger = createLogger(options.debug, options.onError);
  if (typeof window === 'undefined' || typeof document === 'undefined') {
    logger.debug('no window (server-side rendering?): this tracker does nothing');
    return inertTracker();
  }
  for (const name of unknownOptions(input)) logger.warn(`unknown option \`${name}\` ignored`);

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
  const envelopeBytes = utf8Length(envelope('', new Date(0).toISOString()));
  const maxMessageBytes = Math.min(LIMITS.messageBytes, options.maxBatchBytes - envelopeBytes);
  const queue = createQueue({
    batchSize: options.batchSize,
    flushInterval: options.flushInterval,
    maxBatchBytes: options.maxBatchBytes,
    envelopeBytes,
    logger,
    send: (batch) => postBatch(options.endpoint, envelope(batch.map((m) => m.json).join(','), new Date().toISOString())),
  });

  const persist = () => saveIdentity(stores, prefix, identity);

  function enqueue(type: MessageType, fields: Record<string, unknown>): void {
    if (optedOut) return logger.debug(`${type} not sent: opted out`);
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
        message = options.beforeSend(message!);
      } catch (error) {
        return logger.error(new IdstitchError('callback', `beforeSend threw, so the ${type} message was dropped: ${String(error)}`));
      }
      if (!message) return logger.debug(`${type} dropped by beforeSend`);
    }
    const json = serialize(message!, logger);
    const bytes = utf8Length(json);
    if (bytes > maxMessageBytes) {
      return logger.error(new IdstitchError('invalid-argument', `a ${type} message of ${bytes} bytes is over the ${maxMessageBytes}-byte limit and was dropped`));
    }
    queue.push({ messageId: message!.messageId, json, bytes });
    logger.debug(`${type} queued`, message);
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
    logger.debug('reset: new anonymous id', identity.anonymousId);
  }

  function identifyUser(userId: unknown, traits?: unknown): void {
    const id = validId(userId, 'identifyUser');
    if (id === null) return;
    const newTraits = objectArgument(traits, 'identifyUser traits', logger);
    if (identity.userId !== null && identity.userId !== id) {
      logger.debug(`identifyUser: ${identity.userId} → ${id}, splitting first`);
      reset();
    }
    identity.userId = id;
    identity.traits = { ...identity.traits, ...newTraits };
    persist();
    enqueue('identify', { traits: identity.traits });
  }

  function identifyCompany(companyId: unknown, traits?: unknown): void {
    const id = validId(companyId, 'identifyCompany');
    if (id === null) return;
    identity.companyId = id;
    persist();
    enqueue('group', { groupId: id, traits: objectArgument(traits, 'identifyCompany traits', logger) });
  }

  function setUserProperties(traits: unknown): void {
    identity.traits = { ...identity.traits, ...objectArgument(traits, 'setUserProperties traits', logger) };
    persist();
    enqueue('identify', { traits: identity.traits });
  }

  function track(event: unknown, properties?: unknown): void {
    const name = typeof event === 'number' && Number.isFinite(event) ? String(event) : event;
    if (typeof name !== 'string' || !name.trim()) return logger.warn('track: the event name must be a non-empty string; nothing sent');
    enqueue('track', { event: name, properties: objectArgument(properties, 'track properties', logger) });
  }

  function page(name?: unknown, properties?: unknown): void {
    // page({ ...properties }) without a name, as Segment's analytics.js allows.
    if (name !== null && typeof name === 'object' && properties === undefined) [name, properties] = [undefined, name];
    const pageName = typeof name === 'string' && name ? name : null;
    if (name !== undefined && name !== null && pageName === null) logger.warn('page: the name must be a string; sent without one');
    const { url, path, title, referrer, search } = pageContext();
    enqueue('page', { name: pageName, properties: { url, path, title, referrer, search, ...objectArgument(properties, 'page properties', logger) } });
  }

  function setOptOut(value: boolean): void {
    optedOut = value;
    if (value) {
      stores.state.set(prefix + KEY.optOut, '1');
      queue.clear();
    } else {
      stores.state.remove(prefix + KEY.optOut);
    }
    logger.debug(value ? 'opted out: nothing will be sent' : 'opted in');
  }

  // Another tab's reset() or identify reaches this one through the storage event.
  window.addEventListener('storage', (event) => {
    if (event.key !== null && !event.key.startsWith(prefix)) return;
    identity = loadIdentity(stores, prefix);
    optedOut = stores.state.get(prefix + KEY.optOut) === '1';
  });

  const tracker: Tracker = {
    identifyUser: guarded(logger, 'identifyUser', identifyUser, undefined),
    identifyCompany: guarded(logger, 'identifyCompany', identifyCompany, undefined),
    setUserProperties: guarded(logger, 'setUserProperties', setUserProperties, undefined),
    track: guarded(logger, 'track', track, undefined),
    page: guarded(logger, 'page', page, undefined),
    reset: guarded(logger, 'reset', reset, undefined),
    optOut: guarded(logger, 'optOut', () => setOptOut(true), undefined),
    optIn: guarded(logger, 'optIn', () => setOptOut(false), undefined),
    flush: () => queue.flush().catch((error: unknown) => logger.error(new IdstitchError('internal', `flush failed: ${String(error)}`))),
    getAnonymousId: () => identity.anonymousId,
    getUserId: () => identity.userId,
    getCompanyId: () => identity.companyId,
    getSessionId: () => session.current(),
  };

  if (options.autoPage) {
    watchHistory();
    const onChange = () => tracker.page();
    window.addEventListener(LOCATION_CHANGE, onChange);
    window.addEventListener('popstate', onChange);
    tracker.page();
  }
  logger.debug('tracker ready, anonymous id', identity.anonymousId);
  return tracker;
}
