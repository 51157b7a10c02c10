import type { Message } from '../protocol/messages.js';

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
  /** Send a page view on init and on every SPA history change. @default false */
  autoPage?: boolean;
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

export const DEFAULTS = {
  batchSize: 20,
  flushInterval: 1000,
  maxBatchBytes: 32 * 1024,
  persistence: 'localStorage+cookie' as Persistence,
  cookieExpiryDays: 365,
  sessionTimeout: 30 * 60 * 1000,
  autoPage: false,
  debug: false,
};

const PERSISTENCE: Persistence[] = ['localStorage+cookie', 'localStorage', 'cookie', 'memory'];

type Check = (value: unknown) => boolean;
const isNumberIn = (min: number, max: number): Check => (v) => typeof v === 'number' && v >= min && v <= max;
const isFunction: Check = (v) => typeof v === 'function';
const isBoolean: Check = (v) => typeof v === 'boolean';

const CHECKS: Record<keyof TrackerOptions, [Check, string]> = {
  endpoint: [(v) => typeof v === 'string' && /^https?:\/\/[^/]/i.test(v), 'a full http(s) URL'],
  writeKey: [(v) => typeof v === 'string' && v.length > 0, 'a non-empty string'],
  batchSize: [(v) => Number.isInteger(v) && isNumberIn(1, 2500)(v), 'an integer from 1 to 2500'],
  flushInterval: [isNumberIn(0, 3_600_000), 'a number of ms from 0 to 3600000'],
  maxBatchBytes: [isNumberIn(1024, BEACON_LIMIT - 1), `a number of bytes from 1024 to ${BEACON_LIMIT - 1}`],
  persistence: [(v) => PERSISTENCE.includes(v as Persistence), PERSISTENCE.map((p) => `'${p}'`).join(', ')],
  cookieDomain: [(v) => typeof v === 'string' && /^\.?[a-z0-9.-]+$/i.test(v), 'a domain name'],
  cookieExpiryDays: [isNumberIn(0.001, 3650), 'a number of days from 0.001 to 3650'],
  sessionTimeout: [isNumberIn(1000, 7 * 86_400_000), 'a number of ms from 1000 to 604800000'],
  autoPage: [isBoolean, 'true or false'],
  beforeSend: [isFunction, 'a function'],
  debug: [isBoolean, 'true or false'],
  onError: [isFunction, 'a function'],
};

/**
 * Fills in defaults and checks every option. Returns the problem (naming the
 * option) instead of throwing, so a bad config yields an inert tracker.
 */
export function resolveOptions(input: unknown): ResolvedOptions | string {
  if (typeof input !== 'object' || input === null) return 'options must be an object with at least `endpoint`';
  const given = input as Record<string, unknown>;
  if (given.endpoint === undefined) return 'option `endpoint` is required (the collector URL, e.g. https://collect.example.com/v1/batch)';
  for (const name of Object.keys(CHECKS) as (keyof TrackerOptions)[]) {
    const value = given[name];
    const [check, expected] = CHECKS[name];
    if (value !== undefined && !check(value)) return `option \`${name}\` must be ${expected}`;
  }
  const resolved = { ...DEFAULTS } as ResolvedOptions;
  for (const name of Object.keys(CHECKS)) {
    if (given[name] !== undefined) (resolved as unknown as Record<string, unknown>)[name] = given[name];
  }
  return resolved;
}

/** Option names the tracker does not know: likely typos, worth a warning. */
export function unknownOptions(input: object): string[] {
  return Object.keys(input).filter((name) => !(name in CHECKS));
}
