import type { Message } from '../protocol/messages.js';
import type { AutoPage } from './autoPage.js';

/** Where the tracker keeps its identity between page loads. */
export type Persistence = 'localStorage+cookie' | 'localStorage' | 'cookie' | 'memory';

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
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<TrackerOptions, 'writeKey' | 'cookieDomain' | 'beforeSend' | 'onError'>> &
  Pick<TrackerOptions, 'writeKey' | 'cookieDomain' | 'beforeSend' | 'onError'>;

/** The beacon API refuses bodies of 64 KiB and more. */
const BEACON_LIMIT = 64 * 1024;

/**
 * Every option in one place: its `typeof` (or those it may be) and its default, then what else a
 * value must be: a number within `[min, max]`, or a string matching a
 * pattern (described for the message).
 */
const SPEC: Record<keyof TrackerOptions, [type: string, fallback?: unknown, check?: number | RegExp, expected?: number | string]> = {
  endpoint: ['string', undefined, /^https?:\/\/[^/]/i, 'an http(s) URL'],
  writeKey: ['string', undefined, /./, 'a non-empty string'],
  batchSize: ['number', 20, 1, 2500],
  flushInterval: ['number', 1000, 0, 3_600_000],
  maxBatchBytes: ['number', 32 * 1024, 1024, BEACON_LIMIT - 1],
  persistence: ['string', 'localStorage+cookie', /^(localStorage(\+cookie)?|cookie|memory)$/, 'localStorage+cookie | localStorage | cookie | memory'],
  // The browser drops a cookie with an invalid domain without a word: refuse it here, where it can be said.
  cookieDomain: ['string', undefined, /^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/i, 'a domain name'],
  cookieExpiryDays: ['number', 365, 0.001, 3650],
  sessionTimeout: ['number', 30 * 60 * 1000, 1000, 604_800_000],
  // `true` is the script tag's (global.ts turns it into the feature); on the npm path it names what to import.
  autoPage: ['boolean function', false, /^(?!true$)/, "the autoPage export of 'idstitch'"],
  beforeSend: ['function'],
  debug: ['boolean', false],
  onError: ['function'],
};

/**
 * Fills in defaults and checks every option. Returns the problem (naming the
 * option) instead of throwing, so a bad config yields an inert tracker.
 */
export function resolveOptions(input: unknown): ResolvedOptions | string {
  if (typeof input !== 'object' || !input) return 'options must be an object';
  const resolved: Record<string, unknown> = {};
  for (const [name, [type, fallback, check, expected]] of Object.entries(SPEC)) {
    const value = (input as Record<string, unknown>)[name] as number & string;
    const range = typeof check === 'number';
    resolved[name] = value ?? fallback;
    // `endpoint` comes first in SPEC, so a missing one is the first thing said.
    if (
      value === undefined
        ? name === 'endpoint'
        : !type.includes(typeof value) ||
          (range ? !(value >= check && value <= (expected as number) && (name !== 'batchSize' || Number.isInteger(value))) : check && !check.test(value))
    ) {
      return `option \`${name}\` ${value === undefined ? 'is required' : `must be ${range ? `a ${type} from ${check} to ${expected}` : (expected ?? `a ${type}`)}`}`;
    }
  }
  return resolved as ResolvedOptions;
}
