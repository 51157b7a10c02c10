import { v4 as uuid } from 'uuid';
import { checkId } from '../protocol/ids.js';
import { BROWSER_LIBRARY, LIMITS } from '../protocol/messages.js';
import type { Message, MessageContext, MessageType, Properties } from '../protocol/messages.js';
import { storagePrefix } from '../protocol/storageKeys.js';
import { now } from './clock.js';
import { campaignFrom, pageContext, staticContext } from './context.js';
import { LOCATION_CHANGE, watchHistory } from './history.js';
import { KEY, loadIdentity, saveIdentity } from './identity.js';
import type { IdentityState } from './identity.js';
import { createLogger, IdstitchError } from './logger.js';
import type { Logger } from './logger.js';
import { resolveOptions } from './options.js';
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
  /** Records a page view without a name, as Segment's analytics.js allows. */
  page(properties: Properties): void;
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

/** What a bad config gets: a tracker that does nothing (getters answer null), so the page carries on. */
function inertTracker(): Tracker {
  const tracker: Record<string, () => unknown> = {};
  for (const method of TRACKER_METHODS) {
    tracker[method] = method === 'flush' ? () => Promise.resolve() : () => (method.startsWith('get') ? null : undefined);
  }
  return tracker as unknown as Tracker;
}

/** `value` when it is a plain object; otherwise `{}` and a warning. */
function objectArgument(value: unknown, what: string, logger: Logger): Properties {
  if (value === undefined || value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as Properties;
  logger.warn(`${what} must be an object`);
  return {};
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
    logger.debug('no window: inert tracker');
    return inertTracker();
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
  const queue = createQueue({
    ...options,
    envelopeBytes,
    logger,
    send: (batch) => postBatch(options.endpoint, envelope(batch.map((m) => m.json).join(','), new Date().toISOString())),
  });

  const persist = () => saveIdentity(stores, prefix, identity);

  function enqueue(type: MessageType, fields: Record<string, unknown>): void {
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
        message = options.beforeSend(message!);
      } catch (error) {
        return logger.error(new IdstitchError('callback', `${type} dropped: beforeSend threw ${String(error)}`));
      }
      if (!message) return logger.debug('beforeSend dropped', type);
    }
    const json = serialize(message!, logger);
    const bytes = utf8Length(json);
    if (bytes > maxMessageBytes) {
      return logger.error(new IdstitchError('invalid-argument', `${type} dropped: ${bytes} bytes, over the ${maxMessageBytes}-byte limit`));
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
    logger.debug('reset, anonymous id', identity.anonymousId);
  }

  function identifyUser(userId: unknown, traits?: unknown): void {
    const id = validId(userId, 'identifyUser');
    if (id === null) return;
    const newTraits = objectArgument(traits, 'identifyUser traits', logger);
    if (identity.userId !== null && identity.userId !== id) {
      logger.debug(`new user ${id}: split first`);
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
    if (typeof name !== 'string' || !name.trim()) return logger.warn('track: event must be a non-empty string');
    enqueue('track', { event: name, properties: objectArgument(properties, 'track properties', logger) });
  }

  function page(name?: unknown, properties?: unknown): void {
    // page({ ...properties }) without a name, as Segment's analytics.js allows.
    if (name !== null && typeof name === 'object' && properties === undefined) [name, properties] = [undefined, name];
    const pageName = typeof name === 'string' && name ? name : null;
    if (name !== undefined && name !== null && pageName === null) logger.warn('page: name must be a string');
    enqueue('page', { name: pageName, properties: { ...pageContext(), ...objectArgument(properties, 'page properties', logger) } });
  }

  function setOptOut(value: boolean): void {
    optedOut = value;
    if (value) {
      stores.state.set(prefix + KEY.optOut, '1');
      queue.clear();
    } else {
      stores.state.remove(prefix + KEY.optOut);
    }
    logger.debug(value ? 'opted out' : 'opted in');
  }

  // Another tab's reset() or identify reaches this one through the storage event.
  window.addEventListener('storage', (event) => {
    if (event.key !== null && !event.key.startsWith(prefix)) return;
    identity = loadIdentity(stores, prefix);
    optedOut = stores.state.get(prefix + KEY.optOut) === '1';
  });

  const actions: Record<string, (...args: unknown[]) => unknown> = {
    identifyUser, identifyCompany, setUserProperties, track, page, reset,
    optOut: () => setOptOut(true),
    optIn: () => setOptOut(false),
    flush: () => queue.flush(),
    getAnonymousId: () => identity.anonymousId,
    getUserId: () => identity.userId,
    getCompanyId: () => identity.companyId,
    getSessionId: () => session.current(),
  };
  const tracker = {} as Record<string, (...args: unknown[]) => unknown>;
  // Every public method turns whatever it meets into a reported error, never a throw into the page.
  for (const name of TRACKER_METHODS) {
    tracker[name] = (...args) => {
      const fail = (error: unknown) => logger.error(new IdstitchError('internal', `${name}() failed: ${String(error)}`));
      try {
        const result = actions[name]!(...args);
        return name === 'flush' ? (result as Promise<void>).catch(fail) : result;
      } catch (error) {
        fail(error);
        return name === 'flush' ? Promise.resolve() : undefined;
      }
    };
  }

  if (options.autoPage) {
    watchHistory();
    const onChange = () => tracker.page!();
    window.addEventListener(LOCATION_CHANGE, onChange);
    window.addEventListener('popstate', onChange);
    onChange();
  }
  logger.debug('ready, anonymous id', identity.anonymousId);
  return tracker as unknown as Tracker;
}
