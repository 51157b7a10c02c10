/**
 * Options of `createServerClient`, `idstitchMiddleware` and `idstitchFastify`:
 * one typed interface each, every default in {@link CLIENT_DEFAULTS} and
 * {@link CALL_DEFAULTS}, checked up front with an error naming the option.
 */
import { LIMITS, type Properties } from '../protocol/messages.js';
import { ServerOptionError, type ServerError } from './errors.js';
import type { ServerClient } from './client.js';

/** Options of {@link createServerClient}. Only `endpoint` is required. */
export interface ServerClientOptions {
  /** Full URL of the collector's batch endpoint, e.g. `https://collect.example.com/v1/batch`. */
  endpoint: string;
  /** Sent with every batch (in the body and as the Basic auth user). @default none */
  writeKey?: string;
  /**
   * Messages per batch; a full batch is sent at once. Larger than the
   * browser's 20: a busy API makes thousands of calls a second, and each
   * POST costs the host CPU.
   * @default 100
   */
  batchSize?: number;
  /** Longest wait in ms between a call and the send of its batch; also the first retry delay. @default 1000 */
  flushInterval?: number;
  /** Largest batch body in bytes before compression, envelope included (the collector takes 500 KB). @default 262144 */
  maxBatchBytes?: number;
  /**
   * Messages kept while the collector cannot be reached. Past it the oldest
   * are dropped, counted in `stats().dropped` and reported through `onError`.
   * @default 10000
   */
  maxQueueSize?: number;
  /**
   * Batch bodies larger than this many bytes are sent gzip-compressed;
   * `Infinity` never compresses. A collector on the same machine (an endpoint
   * on `localhost`, `127.0.0.0/8` or `[::1]`) is sent plain by default:
   * compressing saves it no bandwidth and costs the host about a fifth of the
   * recording's CPU.
   * @default 1024, or Infinity for an endpoint on this machine
   */
  gzipAbove?: number;
  /** Time in ms one POST may take before it counts as a network error (and is retried). @default 10000 */
  timeout?: number;
  /** Cap in ms of the exponential retry delay; a `Retry-After` up to 5 minutes is honoured beyond it. @default 30000 */
  maxRetryDelay?: number;
  /** How long in ms `close()` keeps retrying before it gives up on what is still queued (and reports it). @default 10000 */
  closeTimeout?: number;
  /**
   * Builds the `API Call` messages and runs delivery (batches, POSTs,
   * retries) on a worker thread, so the host's event loop keeps only the
   * hooks and a few clock reads per request. `false` runs everything on the
   * event loop: for a short-lived process (a serverless function, a script)
   * where starting a thread costs more than it saves. A thread that cannot
   * start or dies hands delivery back to the event loop (reported as a
   * `thread` error).
   * @default true
   */
  thread?: boolean;
  /**
   * Called with every error the client absorbs; nothing is ever thrown into
   * your code at run time. Without it, each distinct error is logged once
   * with `console.error`, prefixed `[idstitch/server]`.
   * @default none
   */
  onError?: (error: ServerError) => void;
}

/** {@link ServerClientOptions} with every default filled in. */
export type ResolvedClientOptions = Required<Omit<ServerClientOptions, 'writeKey' | 'onError'>> &
  Pick<ServerClientOptions, 'writeKey' | 'onError'>;

/** The defaults of {@link ServerClientOptions}, in one place; frozen, as every caller shares them. */
export const CLIENT_DEFAULTS = Object.freeze({
  batchSize: 100,
  flushInterval: 1000,
  maxBatchBytes: 256 * 1024,
  maxQueueSize: 10_000,
  gzipAbove: 1024,
  timeout: 10_000,
  maxRetryDelay: 30_000,
  closeTimeout: 10_000,
  thread: true,
} as const satisfies Partial<ServerClientOptions>);

/** A hook's answer: an id, nothing (anonymous), or a promise of either. */
export type HookResult = string | number | null | undefined | Promise<string | number | null | undefined>;

/** Decides which calls are not recorded: exact paths or route templates, patterns over the path, or a predicate. */
export type SkipRule<Req, Res> = ReadonlyArray<string | RegExp> | ((req: Req, res: Res) => boolean);

/** Options of `idstitchMiddleware` and `idstitchFastify`; `Req`/`Res` are the framework's request and response. */
export interface ApiCallOptions<Req, Res> {
  /** The client that queues and sends the `API Call` messages. */
  client: ServerClient;
  /**
   * Returns the caller's user id, called after the response finished (so
   * your auth middleware has run). Sync or async; `undefined`/`null` means
   * anonymous. A throw, a rejection or an invalid id (contract section 2) is
   * reported through `onError` and the call counts as anonymous.
   * @default none: every call is anonymous unless it carries the SDK's cookie
   */
  identifyUser?: (req: Req, res: Res) => HookResult;
  /** Returns the caller's company id; same rules as `identifyUser`. Sets `context.groupId`. @default none */
  identifyCompany?: (req: Req, res: Res) => HookResult;
  /** Calls not to record, e.g. `['/healthz', /^\/internal\//]`; strings match the path or the route template exactly. @default [] */
  skip?: SkipRule<Req, Res>;
  /** Extra properties for the `API Call` message (sync; a throw is reported and ignored). @default none */
  properties?: (req: Req, res: Res) => Properties | undefined;
  /** Properties removed from the message, by name or dotted path (`'requestBytes'`, `'headers.cookie'`). @default [] */
  dropFields?: readonly string[];
  /** Properties whose value is replaced by `'[masked]'`, by name or dotted path (`'path'`). @default [] */
  maskFields?: readonly string[];
  /**
   * What to do with a call that has neither a user id nor the SDK's cookie.
   * `'send'`: record it under a fresh `anonymousId` of the form `api:<uuid>`,
   * one per call (nothing ties two such calls together, and the collector
   * refuses a message with no id at all), so API totals and error rates stay
   * complete, as in Moesif. `'drop'`: do not record it.
   * @default 'send'
   */
  anonymousCalls?: 'send' | 'drop';
  /**
   * The browser tracker's write key, which names its anonymous-id cookie;
   * `null` when the browser's tracker has none (the client's key is then a
   * server write key, README "Verified identity").
   * @default the client's `writeKey`
   */
  writeKey?: string | null;
  /**
   * Re-issue the SDK's anonymous-id cookie with `Set-Cookie` when a request
   * carries it (same name and value, `Path=/`, `SameSite=Lax`, not HttpOnly,
   * `Secure` on https), so it becomes a server-set cookie that outlives
   * Safari's 7-day cap on cookies written by script.
   * @default false
   */
  serverCookie?: boolean;
  /** `Domain` of the re-issued cookie: set it to what the browser SDK uses (the server cannot probe). @default none: a host-only cookie */
  cookieDomain?: string;
  /** Lifetime of the re-issued cookie in days, as the browser SDK's option. @default 365 */
  cookieExpiryDays?: number;
  /** Called with every error the middleware absorbs. @default the client's `onError` */
  onError?: (error: ServerError) => void;
}

/** {@link ApiCallOptions} with every default filled in. */
export type ResolvedCallOptions<Req, Res> = Required<Omit<ApiCallOptions<Req, Res>, 'identifyUser' | 'identifyCompany' | 'properties' | 'writeKey' | 'cookieDomain' | 'onError'>> &
  Pick<ApiCallOptions<Req, Res>, 'identifyUser' | 'identifyCompany' | 'properties' | 'writeKey' | 'cookieDomain' | 'onError'>;

/** The defaults of {@link ApiCallOptions}, in one place; frozen, lists included, as every middleware shares them. */
export const CALL_DEFAULTS = Object.freeze({
  skip: Object.freeze([]) as readonly (string | RegExp)[],
  dropFields: Object.freeze([]) as readonly string[],
  maskFields: Object.freeze([]) as readonly string[],
  anonymousCalls: 'send' as const,
  serverCookie: false,
  cookieExpiryDays: 365,
});

type Check = (value: unknown) => string | undefined;

const number = (min: number, max: number, integer = true): Check => (value) =>
  typeof value === 'number' && (integer ? Number.isInteger(value) : !Number.isNaN(value)) && value >= min && value <= max
    ? undefined
    : `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
const nonEmptyString: Check = (value) => (typeof value === 'string' && value.trim() ? undefined : 'must be a non-empty string');
const fn: Check = (value) => (typeof value === 'function' ? undefined : 'must be a function');
const bool: Check = (value) => (typeof value === 'boolean' ? undefined : 'must be a boolean');
const strings: Check = (value) =>
  Array.isArray(value) && value.every((v) => typeof v === 'string' && v) ? undefined : 'must be an array of non-empty strings';

const CLIENT_CHECKS: Record<keyof ServerClientOptions, Check> = {
  endpoint: (value) => (typeof value === 'string' && /^https?:\/\/[^/]/i.test(value) ? undefined : 'must be an http(s) URL'),
  writeKey: nonEmptyString,
  batchSize: number(1, LIMITS.batchMessages),
  flushInterval: number(0, 3_600_000),
  maxBatchBytes: number(1024, LIMITS.batchBytes),
  maxQueueSize: number(1, 10_000_000),
  gzipAbove: number(0, Infinity, false),
  timeout: number(1, 600_000),
  maxRetryDelay: number(1, 3_600_000),
  closeTimeout: number(0, 3_600_000),
  thread: bool,
  onError: fn,
};

const CALL_CHECKS: Record<keyof ApiCallOptions<unknown, unknown>, Check> = {
  client: (value) =>
    value && typeof value === 'object' && typeof (value as ServerClient).track === 'function' ? undefined : 'must be a client from createServerClient()',
  identifyUser: fn,
  identifyCompany: fn,
  skip: (value) =>
    typeof value === 'function' || (Array.isArray(value) && value.every((v) => (typeof v === 'string' && v) || v instanceof RegExp))
      ? undefined
      : 'must be an array of paths (strings) and RegExps, or a function',
  properties: fn,
  dropFields: strings,
  maskFields: strings,
  anonymousCalls: (value) => (value === 'send' || value === 'drop' ? undefined : "must be 'send' or 'drop'"),
  writeKey: (value) => (value === null ? undefined : nonEmptyString(value)),
  serverCookie: bool,
  cookieDomain: (value) => (typeof value === 'string' && /^\.?[a-z0-9.-]+$/i.test(value) ? undefined : 'must be a domain name such as example.com'),
  cookieExpiryDays: number(0.001, 3650, false),
  onError: fn,
};

/** Checks `input` against `checks` and fills in `defaults`; throws {@link ServerOptionError} naming the first bad option. */
function resolve<T extends object>(where: string, input: unknown, checks: Record<string, Check>, defaults: object, required: string[]): T {
  if (typeof input !== 'object' || input === null) throw new ServerOptionError(where, required[0]!, 'is required (options must be an object)');
  const given = input as Record<string, unknown>;
  for (const name of required) if (given[name] === undefined) throw new ServerOptionError(where, name, 'is required');
  const resolved: Record<string, unknown> = { ...defaults };
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const check = checks[name];
    if (!check) throw new ServerOptionError(where, name, `is not an option (known: ${Object.keys(checks).join(', ')})`);
    const problem = check(value);
    if (problem) throw new ServerOptionError(where, name, problem);
    resolved[name] = value;
  }
  return resolved as T;
}

/** True when the endpoint is on this machine: `localhost`, an address in 127.0.0.0/8, or `[::1]`. */
export function isLoopbackEndpoint(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Fills in the client's defaults; throws {@link ServerOptionError} naming a bad option. */
export function resolveClientOptions(input: unknown): ResolvedClientOptions {
  const resolved = resolve<ResolvedClientOptions>('createServerClient', input, CLIENT_CHECKS, CLIENT_DEFAULTS, ['endpoint']);
  if ((input as ServerClientOptions).gzipAbove === undefined && isLoopbackEndpoint(resolved.endpoint)) resolved.gzipAbove = Infinity;
  return resolved;
}

/** Fills in the middleware's defaults; `where` names the caller (`idstitchMiddleware`, `idstitchFastify`) in errors. */
export function resolveCallOptions<Req, Res>(where: string, input: unknown): ResolvedCallOptions<Req, Res> {
  return resolve(where, input, CALL_CHECKS, CALL_DEFAULTS, ['client']);
}
