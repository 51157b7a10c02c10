import type { Message } from '../protocol/messages.js';
import type { AutoPage } from './autoPage.js';
import type { Linker } from './linker.js';
import { describeOption } from './messages.js';

/** Where the tracker keeps its identity between page loads. */
export type Persistence = 'localStorage+cookie' | 'localStorage' | 'cookie' | 'memory';

/**
 * Whether the visitor agreed to be tracked (README "Consent"). Pending: nothing is stored or sent, calls wait in
 * memory; granted: the identity is read or created and the waiting calls go out; denied: nothing is kept.
 */
export type Consent = 'granted' | 'pending' | 'denied';

/** Options of {@link createTracker}. Only `endpoint` is required. */
export interface TrackerOptions {
  /** Full URL of the collector's batch endpoint, e.g. `https://collect.example.com/v1/batch`. */
  endpoint: string;
  /** Sent in the body of every batch; also namespaces the storage keys. @default none */
  writeKey?: string;
  /** Messages per batch; a full batch is sent at once. @default 20 */
  batchSize?: number;
  /** Longest wait in ms between a call and the send of its batch. @default 1000 */
  flushInterval?: number;
  /** Largest batch body in bytes; must stay under the 64 KiB beacon limit. @default 32768 */
  maxBatchBytes?: number;
  /** Where identity is kept. @default 'localStorage+cookie' */
  persistence?: Persistence;
  /** Cookie domain. @default the highest domain that accepts a cookie (never a public suffix) */
  cookieDomain?: string;
  /** Lifetime of the identity cookies in days. @default 365 */
  cookieExpiryDays?: number;
  /** Inactivity in ms after which a new session id starts. @default 1800000 (30 min) */
  sessionTimeout?: number;
  /**
   * A page view on init and on every SPA history change: the {@link AutoPage}
   * feature, imported from `idstitch` (so apps without it do not ship it);
   * `true` in the script-tag build, which bundles it. @default false
   */
  autoPage?: boolean | AutoPage;
  /** Sees each message before it is queued; return it (changed or not) to send it, `null` to drop it. @default none */
  beforeSend?: (message: Message) => Message | null | undefined;
  /** Logs what the tracker does to the console, prefixed `[idstitch]`. @default false */
  debug?: boolean;
  /** Called with every error the tracker absorbs instead of throwing into the page. @default none */
  onError?: (error: Error) => void;
  /**
   * The visitor's consent as the site's consent manager knows it on this page; change it with
   * {@link Tracker.setConsent}. The SDK does not store it. @default 'granted'
   */
  consent?: Consent;
  /** Starts the tracker denied when the browser sends Global Privacy Control, until `setConsent('granted')`. @default true */
  respectPrivacySignals?: boolean;
  /**
   * One visitor across registrable domains: the {@link linker} feature, imported from `idstitch`
   * (`linker(['app.vendor.com'])`); a list of host names in the script-tag build. @default none
   */
  linkDomains?: Linker | readonly string[];
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<TrackerOptions, 'writeKey' | 'cookieDomain' | 'beforeSend' | 'onError' | 'linkDomains'>> &
  Pick<TrackerOptions, 'writeKey' | 'cookieDomain' | 'beforeSend' | 'onError'> & { linkDomains?: Linker };

/** The beacon API refuses bodies of 64 KiB and more. */
const BEACON_LIMIT = 64 * 1024;

/**
 * An option's default, then what else a value must be: a string matching a pattern, a number from
 * `min` to `max`, or a function; by default of its default's type.
 */
export type OptionRule = [fallback?: unknown, check?: RegExp | number | 'function', max?: number];

/** Every option in one place. The message is made from the same rule, so what it says expected is what is checked. */
export const OPTIONS: Record<keyof TrackerOptions, OptionRule> = {
  endpoint: [, /^https?:\/\/[^/]/i],
  writeKey: [, /./],
  batchSize: [20, 1, 2500],
  flushInterval: [1000, 0, 3_600_000],
  maxBatchBytes: [32 * 1024, 1024, BEACON_LIMIT - 1],
  persistence: ['localStorage+cookie', /^(localStorage(\+cookie)?|cookie|memory)$/],
  // The browser drops a cookie with an invalid domain without a word: refuse it here, where it can be said.
  cookieDomain: [, /^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/i],
  cookieExpiryDays: [365, 0.001, 3650],
  sessionTimeout: [30 * 60 * 1000, 1000, 604_800_000],
  // `true` is the script tag's (global.ts turns it into the feature); on the npm path the feature is imported.
  autoPage: [false, 'function'],
  beforeSend: [, 'function'],
  debug: [false],
  onError: [, 'function'],
  consent: ['granted', /^(granted|pending|denied)$/],
  respectPrivacySignals: [true],
  // A list is the script tag's (global.ts turns it into the feature).
  linkDomains: [, 'function'],
};

/**
 * Fills in defaults and checks every option. Returns the problem (naming the
 * option) instead of throwing, so a bad config yields an inert tracker; a
 * production build names only the option (README "Warnings and errors").
 */
export function resolveOptions(input: unknown): ResolvedOptions | string {
  const problem = (name?: string, value?: unknown) => describeOption?.(name, OPTIONS[name as keyof TrackerOptions], value) ?? name ?? 'options';
  if (typeof input !== 'object' || !input) return problem();
  const resolved: Record<string, unknown> = {};
  for (const [name, [fallback, check, max]] of Object.entries(OPTIONS)) {
    const value = (input as Record<string, unknown>)[name];
    resolved[name] = value ?? fallback;
    // `endpoint` comes first in OPTIONS, so a missing one is the first thing said. The default itself is always fine.
    if (
      value === undefined
        ? name === 'endpoint'
        : value !== fallback &&
          !(check instanceof RegExp
            ? typeof value === 'string' && check.test(value)
            : typeof check === 'number'
              ? typeof value === 'number' && value >= check && value <= max! && (name !== 'batchSize' || Number.isInteger(value))
              : typeof value === (check ?? typeof fallback))
    ) {
      return problem(name, value);
    }
  }
  return resolved as ResolvedOptions;
}
