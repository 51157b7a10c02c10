import { idProblem } from '../protocol/ids.js';
import { BROWSER_LIBRARY } from '../protocol/messages.js';
import type { Message, MessageContext, MessageType, Properties } from '../protocol/messages.js';
import { storagePrefix } from '../protocol/storageKeys.js';
import { VERSION } from '../protocol/version.js';
import { publicTracker } from './api.js';
import type { IdentifyOptions, Started, Tracker } from './api.js';
import type { AutoPage } from './autoPage.js';
import { now } from './clock.js';
import { consentGate } from './consent.js';
import { campaignFrom, pageContext, staticContext } from './context.js';
import { createEnvelope } from './envelope.js';
import { anonymousIdentity, eraseIdentity, Key, MAX_TOKEN_LENGTH } from './identity.js';
import type { IdentityState } from './identity.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { OPTIONS, resolveOptions } from './options.js';
import type { ResolvedOptions, TrackerOptions } from './options.js';
import { openQueueStore } from './persistedQueue.js';
import { createQueue } from './queue.js';
import { createSession } from './session.js';
import { sharedIdentity } from './sharedIdentity.js';
import { openStores } from './storage.js';
import { write } from './store/types.js';
import { uuid } from './uuid.js';

export { TRACKER_METHODS, inertResult } from './api.js';
export type { Id, IdentifyOptions, Tracker } from './api.js';

/**
 * Creates a tracker. A missing or invalid option gets one console error
 * naming it and an inert tracker; in Node (no `window`) the tracker is inert
 * too, so server-rendered code can call it freely. Until consent is granted
 * (README "Consent") the tracker holds its calls or keeps nothing.
 *
 * @example
 * const tracker = createTracker({ endpoint: 'https://collect.example.com/v1/batch' });
 * tracker.page();
 * tracker.identifyUser('u_8f2k', { plan: 'team' });
 */
export function createTracker(input: TrackerOptions): Tracker {
  let consent: ReturnType<typeof consentGate> | undefined;
  let logger = createLogger();
  const fail = (method: string) => (error: unknown) => logger._error('internal', error, method);
  const tracker = publicTracker((name) => (name === 'setConsent' ? consent?._set : consent?._action(name)), fail);
  try {
    const options = resolveOptions(input);
    const refused = typeof options === 'string';
    // A bad config is still reported to the page's onError, when that one is a function (the logger checks);
    // a good one resolved onError as given.
    logger = createLogger(!refused && options.debug, (input as Partial<TrackerOptions> | null)?.onError);
    if (refused) logger._error('invalid-option', undefined, options);
    // No document: server rendering, a worker (Deno 1 has a window without one).
    else if (typeof document !== 'undefined') {
      for (const name in input) if (!(name in OPTIONS)) logger._warn('unknown-option', name);
      // First: the link's id is read and taken off the address bar before anything else, autoPage's view included.
      const linked = options.linkDomains?.(tracker, logger);
      consent = consentGate(
        tracker,
        logger,
        () => startTracker(options, logger, linked),
        () => eraseIdentity(openStores(options, logger), storagePrefix(options.writeKey)),
      );
      // Global Privacy Control: denied until the site grants (no erasure: a visitor who agreed is granted on every
      // page), unless the site denies itself.
      if (options.consent !== 'denied' && options.respectPrivacySignals && (navigator as { globalPrivacyControl?: unknown }).globalPrivacyControl === true) {
        logger._debug('GPC: denied');
      } else consent._set(options.consent);
      if (options.autoPage) (options.autoPage as AutoPage)(tracker);
    }
  } catch (error) {
    fail('createTracker')(error);
  }
  return tracker;
}

/**
 * A tracker in a page, with consent: its stores, its session, the visitor shared
 * with the other tabs, the queue and its page lifecycle, and the methods that
 * turn calls into messages. `linked`: the anonymous id a link from another domain carried.
 */
function startTracker(options: ResolvedOptions, logger: Logger, linked?: string): Started {
  const prefix = storagePrefix(options.writeKey);
  const stores = openStores(options, logger);
  const session = createSession(stores._state, prefix + Key.session, options.sessionTimeout);
  // The same for the whole page life; the campaign is the landing URL's.
  const fixedContext = { library: { name: BROWSER_LIBRARY, version: VERSION }, ...staticContext(), campaign: campaignFrom(location.search) };
  const envelope = createEnvelope(options);
  const queue = createQueue(options, envelope, logger, stores._storage && openQueueStore(stores._storage, prefix, envelope._queued));
  let identity!: IdentityState;
  let optedOut!: boolean;
  const visitor = sharedIdentity(stores, prefix, (stored, storedOptOut) => {
    identity = stored;
    optedOut = storedOptOut;
  });

  const enqueue = (type: MessageType, fields: Properties): void => {
    visitor._sync();
    if (optedOut) return;
    const time = now();
    let message = {
      type,
      messageId: uuid(),
      anonymousId: identity._anonymousId,
      userId: identity._userId,
      timestamp: new Date(time).toISOString(),
      // Absent values are undefined, which JSON leaves out: no campaign without utm_*, no groupId before identifyCompany.
      context: {
        ...fixedContext,
        page: pageContext(),
        sessionId: session._touch(time),
        groupId: identity._companyId || undefined,
        // Only ever set together with the user id: an anonymous message carries none.
        identityToken: identity._token,
      } satisfies MessageContext,
      ...fields,
    } as Message | null | undefined;
    // Cycles or BigInt in the properties throw here: reported as a clear error, the message is not sent.
    let json = JSON.stringify(message);
    if (options.beforeSend) {
      try {
        // A copy: edits made for this message must not leak into the tracker's state or later messages.
        message = options.beforeSend(JSON.parse(json) as Message);
      } catch (error) {
        return logger._error('callback', error, type);
      }
      if (!message) return logger._debug('beforeSend dropped', type);
      json = JSON.stringify(message);
    }
    const item = envelope._queued(json);
    if (item._bytes > envelope._maxMessageBytes) {
      return logger._error('invalid-argument', undefined, type, item._bytes, envelope._maxMessageBytes);
    }
    queue._push(item);
    logger._debug(type, 'queued', message);
  };

  /** `value` (the traits or properties of `method`) when it is a plain object; otherwise `{}` and a warning. */
  const objectArgument = (value: unknown, method: string): Properties => {
    if (value == null) return {};
    if (typeof value === 'object' && !Array.isArray(value)) return value as Properties;
    logger._warn('not-an-object', method);
    return {};
  };

  /** A valid id from a public method's argument, or undefined after a warning. */
  const validId = (value: unknown, method: string): string | undefined => {
    const problem = idProblem(value);
    if (!problem) return String(value);
    logger._warn('invalid-id', method, problem);
  };

  const reset = (): void => {
    identity = anonymousIdentity();
    visitor._persist(identity);
    session._renew(now());
  };

  /** Merges traits into the current visitor's and announces them with an `identify`. */
  const identify = (traits: Properties): void => {
    identity._traits = { ...identity._traits, ...traits };
    visitor._persist(identity);
    enqueue('identify', { traits: identity._traits });
  };

  const setOptOut = (value: boolean): void => {
    optedOut = value;
    write(stores._state, prefix + Key.optOut, value ? '1' : null);
    if (value) queue._clear();
  };

  // Before the first call (and after the declarations, so they join in one list): the visitor of the other
  // domain, unless somebody is signed in here: they stay who they are.
  if (linked && !identity._userId && linked !== identity._anonymousId) {
    identity = anonymousIdentity(linked);
    visitor._persist(identity);
  }
  // The tracker touches the session as it starts, so there always is one.
  session._touch(now());

  return {
    identifyUser(userId, traits, options) {
      const id = validId(userId, 'identifyUser');
      if (!id) return;
      // Read the arguments before anything changes: a throwing getter must leave the identity as it was.
      const newTraits = { ...objectArgument(traits, 'identifyUser') };
      const token = (options as IdentifyOptions | undefined)?.token;
      if (identity._userId && identity._userId !== id) reset();
      identity._userId = id;
      if (token !== undefined) {
        if (typeof token === 'string' && token && token.length <= MAX_TOKEN_LENGTH) identity._token = token;
        // The identify still goes out: without a token it is the visitor's own claim, as before verification.
        else logger._warn('invalid-token');
      }
      identify(newTraits);
    },
    identifyCompany(companyId, traits) {
      const id = validId(companyId, 'identifyCompany');
      if (!id) return;
      identity._companyId = id;
      visitor._persist(identity);
      enqueue('group', { groupId: id, traits: objectArgument(traits, 'identifyCompany') });
    },
    setUserProperties(traits) {
      // Fullstory's rule: a uid set as a property is an identify. Here that is identifyUser's job (its split
      // rules, its token), so those keys are refused with a warning and the other traits still go.
      const { uid, userId, ...rest } = objectArgument(traits, 'setUserProperties');
      if (uid !== undefined || userId !== undefined) logger._warn('uid-property');
      identify(rest);
    },
    track(event, properties) {
      if (typeof event !== 'string' || !event.trim()) return logger._warn('invalid-event');
      enqueue('track', { event, properties: objectArgument(properties, 'track') });
    },
    page(name, properties) {
      const named = typeof name === 'string';
      if (!named && name != null) logger._warn('invalid-page-name');
      enqueue('page', { name: (named && name) || null, properties: { ...pageContext(), ...objectArgument(properties, 'page') } });
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
      queue._clear();
      visitor._stop();
    },
  };
}
