import type { Properties } from '../protocol/messages.js';
import type { Consent } from './options.js';

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
export type Method = (typeof TRACKER_METHODS)[number];
/** The methods whose calls wait for consent: the first eight. */
export const HELD_METHODS = TRACKER_METHODS.slice(0, 8);

/** A started tracker's methods, and how to stop it when consent is withdrawn. */
export type Started = Partial<Record<Method, (...args: unknown[]) => unknown>> & { _stop(): void };

/** What a method answers when it cannot act (an inert tracker, a failure, a call before `init`): getters null, `flush` a resolved promise. */
export const inertResult = (method: string): unknown => (method === 'flush' ? Promise.resolve() : method.startsWith('get') ? null : undefined);

/**
 * The public face of a tracker: every method turns whatever it meets into a
 * reported error, never a throw into the page. Without actions (a bad
 * config, no window) it is inert: it does nothing and its getters answer null.
 */
export function publicTracker(actions: (name: Method) => ((...args: unknown[]) => unknown) | undefined, fail: (method: string) => (error: unknown) => void): Tracker {
  const tracker: Record<string, unknown> = {};
  for (const name of TRACKER_METHODS) {
    const failed = fail(name);
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
