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

/** Each option's expected kind ('a number', 'a string', ...: the `typeof` after the article) and, for numbers, its range. */
const RULES: Record<keyof TrackerOptions, [kind: string, min?: number, max?: number]> = {
  endpoint: ['an http(s) URL'],
  writeKey: ['a string'],
  batchSize: ['a number', 1, 2500],
  flushInterval: ['a number', 0, 3_600_000],
  maxBatchBytes: ['a number', 1024, BEACON_LIMIT - 1],
  persistence: [PERSISTENCE.join(' | ')],
  cookieDomain: ['a string'],
  cookieExpiryDays: ['a number', 0.001, 3650],
  sessionTimeout: ['a number', 1000, 604_800_000],
  autoPage: ['a boolean'],
  beforeSend: ['a function'],
  debug: ['a boolean'],
  onError: ['a function'],
};

function isValid(name: keyof TrackerOptions, value: unknown): boolean {
  const [kind, min = -Infinity, max = Infinity] = RULES[name];
  if (name === 'endpoint') return typeof value === 'string' && /^https?:\/\/[^/]/i.test(value);
  if (name === 'persistence') return PERSISTENCE.includes(value as Persistence);
  return typeof value === kind.slice(2) && (typeof value !== 'number' || (value >= min && value <= max)) && value !== '';
}

/**
 * Fills in defaults and checks every option. Returns the problem (naming the
 * option) instead of throwing, so a bad config yields an inert tracker.
 */
export function resolveOptions(input: unknown): ResolvedOptions | string {
  if (typeof input !== 'object' || input === null) return 'options must be an object with at least `endpoint`';
  const given = input as Record<string, unknown>;
  if (given.endpoint === undefined) return 'option `endpoint` is required';
  const resolved: Record<string, unknown> = { ...DEFAULTS };
  for (const name of Object.keys(RULES) as (keyof TrackerOptions)[]) {
    const value = given[name];
    if (value === undefined) continue;
    if (!isValid(name, value)) {
      const [kind, min, max] = RULES[name];
      return `option \`${name}\` must be ${kind}${min === undefined ? '' : ` from ${min} to ${max}`}`;
    }
    resolved[name] = value;
  }
  return resolved as unknown as ResolvedOptions;
}
