/**
 * `createServerClient`: builds section 5 messages on the server
 * (`context.library.name = "idstitch-node"`) and hands them to the delivery
 * loop. Never throws at run time: bad calls are reported through `onError`.
 */
import { randomUUID } from 'node:crypto';
import { LIMITS, SERVER_LIBRARY, type Message, type Properties } from '../protocol/messages.js';
import { createDelivery, type DeliveryStats } from './delivery.js';
import { reportTo, ServerError } from './errors.js';
import { cachedCheckId } from './idCheck.js';
import { resolveClientOptions, type ServerClientOptions } from './options.js';
import { createTransport } from './transport.js';
import { VERSION } from './version.js';

/** A user or company id: strings are kept as given (case-sensitive), finite numbers become strings. */
export type Id = string | number;

/** The argument of {@link ServerClient.track}: who (a user id, an anonymous id or both), what, and optionally the company and time. */
export interface TrackCall {
  /** Your user id (contract section 2 rules). One of `userId` and `anonymousId` is required. */
  userId?: Id | null;
  /** The browser SDK's anonymous id (read from its cookie) or any stable id of an anonymous caller. */
  anonymousId?: string | null;
  /** The event name, e.g. `'Invoice Paid'`. */
  event: string;
  properties?: Properties;
  /** The company the event belongs to: sent as `context.groupId`. */
  companyId?: Id | null;
  /** When it happened: a Date, an ISO 8601 string or epoch milliseconds. @default now */
  timestamp?: Date | string | number;
}

/** The server-side client. Every method is safe to call with anything: nothing is thrown, problems go to `onError`. */
export interface ServerClient {
  /** Sends an `identify` for `userId` with `traits`. Returns whether it was queued. */
  identifyUser(userId: Id, traits?: Properties): boolean;
  /** Links `userId` to `companyId` (a `group` message with company `traits`); their web and API traffic then counts for the company. Returns whether it was queued. */
  identifyCompany(userId: Id, companyId: Id, traits?: Properties): boolean;
  /** Sends a `track` message. Returns whether it was queued. */
  track(call: TrackCall): boolean;
  /** Sends everything queued now; resolves when the collector answered or the attempt failed. Never rejects. */
  flush(): Promise<void>;
  /**
   * Sends what is queued (retrying up to `closeTimeout`) and stops; later
   * calls are refused. Idempotent, so it is safe in a SIGTERM handler:
   * `process.once('SIGTERM', () => client.close().then(() => process.exit(0)))`.
   */
  close(): Promise<void>;
  /** Queue and delivery counters. */
  stats(): DeliveryStats;
  /** The write key the client sends with (also names the browser SDK's cookie the middleware reads). */
  readonly writeKey: string | undefined;
  /** Reports an absorbed error to the client's `onError`. */
  report(error: ServerError): void;
}

/** A message before the client stamps it: `Omit` per member, so each type keeps its own fields. */
type Outgoing = (Message extends infer M ? (M extends Message ? Omit<M, 'messageId' | 'timestamp' | 'context' | 'anonymousId' | 'userId'> : never) : never) & {
  userId: string | null;
  anonymousId: string | null;
};

const isBag = (value: unknown): value is Properties => typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON.stringify that survives what callers pass in: cycles and BigInt become strings. */
function serialize(message: object): string {
  try {
    return JSON.stringify(message);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(message, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (value && typeof value === 'object') {
        if (seen.has(value)) return '[Circular]';
        seen.add(value);
      }
      return value;
    });
  }
}

/** The second `isoMs` last formatted (epoch ms, a multiple of 1000) and its ISO text up to the dot. */
let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * `new Date(ms).toISOString()`, formatting the date and time once a second:
 * API calls arrive thousands a second with timestamps a few ms apart.
 */
function isoMs(ms: number): string {
  const second = ms - (ms % 1000);
  // Years 0000 to 9999 only (ISO text of a fixed shape); others take the general path.
  if (ms < 0 || ms >= 253_402_300_800_000 || !Number.isInteger(ms)) return new Date(ms).toISOString();
  if (second !== isoSecond) {
    isoPrefix = new Date(second).toISOString().slice(0, 20);
    isoSecond = second;
  }
  const milli = ms - second;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function isoTimestamp(value: Date | string | number | undefined): string | null {
  if (value === undefined) return isoMs(Date.now());
  if (typeof value === 'number') return Number.isFinite(value) && Math.abs(value) <= 8.64e15 ? isoMs(Math.trunc(value)) : null;
  const date = new Date(value instanceof Date ? value.getTime() : value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * Creates a client. Options are checked here: a bad one throws an
 * `IdstitchOptionError` naming it (a setup error, seen at startup).
 *
 * Its timers and idle connections never keep the process alive, so a script
 * or a serverless handler must `await client.close()` (or `flush()`) before
 * it ends; a long-running server calls `close()` on shutdown.
 *
 * @example
 * const client = createServerClient({ endpoint: 'https://collect.example.com/v1/batch', writeKey: 'wk_live' });
 * client.track({ userId: 'u_8f2k', event: 'Invoice Paid', properties: { amount: 42 } });
 * process.once('SIGTERM', () => void client.close());
 */
export function createServerClient(options: ServerClientOptions): ServerClient {
  const o = resolveClientOptions(options);
  const report = (error: ServerError) => reportTo(o.onError, error);
  const writeKeyField = o.writeKey ? `,"writeKey":${JSON.stringify(o.writeKey)}` : '';
  const envelope = (messages: string[]) => `{"batch":[${messages.join(',')}],"sentAt":"${new Date().toISOString()}"${writeKeyField}}`;
  const transport = createTransport(o);
  const delivery = createDelivery({
    ...o,
    envelope,
    envelopeBytes: Buffer.byteLength(envelope([])),
    send: (body) => transport.post(body),
    report,
  });
  const library = { name: SERVER_LIBRARY, version: VERSION };
  let closed = false;

  const refuse = (code: 'invalid-id' | 'invalid-argument', what: string) => {
    report(new ServerError(code, what));
    return false;
  };

  /** Checks an optional id; `undefined` when it is invalid (and reported). */
  const checkIdCached = cachedCheckId();
  const optionalId = (value: unknown, what: string): string | null | undefined => {
    if (value === undefined || value === null) return null;
    const check = checkIdCached(value);
    if (check.ok) return check.id;
    report(new ServerError('invalid-id', `${what} ${check.reason}`));
    return undefined;
  };

  // The stamped fields, serialised here and appended to the caller's (same keys, same order as one object).
  const libraryJson = JSON.stringify(library);
  const plainContextJson = `{"library":${libraryJson}}`;
  const enqueue = (fields: Outgoing, companyId?: string | null, timestamp?: Date | string | number): boolean => {
    if (closed) {
      report(new ServerError('closed', `${fields.type} after close() was dropped`));
      return false;
    }
    const iso = isoTimestamp(timestamp);
    if (iso === null) return refuse('invalid-argument', `timestamp ${String(timestamp)} is not a date`);
    const context = companyId ? `{"library":${libraryJson},"groupId":${JSON.stringify(companyId)}}` : plainContextJson;
    let json: string;
    try {
      // `fields` always has `type`, so its JSON is a non-empty object: drop its `}` and go on.
      json = `${serialize(fields).slice(0, -1)},"messageId":"${randomUUID()}","timestamp":"${iso}","context":${context}}`;
    } catch (error) {
      return refuse('invalid-argument', `${fields.type} cannot be serialised: ${String(error)}`);
    }
    const bytes = Buffer.byteLength(json);
    if (bytes > LIMITS.messageBytes) return refuse('invalid-argument', `${fields.type} is ${bytes} bytes, over the collector's ${LIMITS.messageBytes}`);
    delivery.push({ json, bytes });
    return true;
  };

  return {
    writeKey: o.writeKey,
    report,
    identifyUser(userId, traits) {
      const id = optionalId(userId, 'identifyUser: userId');
      if (!id) return id === null ? refuse('invalid-id', 'identifyUser: userId is required') : false;
      return enqueue({ type: 'identify', userId: id, anonymousId: null, traits: isBag(traits) ? traits : {} });
    },
    identifyCompany(userId, companyId, traits) {
      const user = optionalId(userId, 'identifyCompany: userId');
      const company = optionalId(companyId, 'identifyCompany: companyId');
      if (!user || !company) return user === null || company === null ? refuse('invalid-id', 'identifyCompany: userId and companyId are required') : false;
      return enqueue({ type: 'group', userId: user, anonymousId: null, groupId: company, traits: isBag(traits) ? traits : {} }, company);
    },
    track(call) {
      if (!isBag(call)) return refuse('invalid-argument', 'track: expects { userId | anonymousId, event, properties? }');
      if (typeof call.event !== 'string' || !call.event.trim()) return refuse('invalid-argument', 'track: event must be a non-empty string');
      const userId = optionalId(call.userId, 'track: userId');
      const companyId = optionalId(call.companyId, 'track: companyId');
      if (userId === undefined || companyId === undefined) return false;
      const { anonymousId } = call;
      if (anonymousId !== undefined && anonymousId !== null && (typeof anonymousId !== 'string' || !anonymousId || anonymousId.length > 255)) {
        return refuse('invalid-argument', 'track: anonymousId must be a string of 1 to 255 characters');
      }
      if (!userId && !anonymousId) return refuse('invalid-argument', 'track: needs a userId or an anonymousId');
      const properties = isBag(call.properties) ? call.properties : {};
      return enqueue({ type: 'track', userId, anonymousId: anonymousId ?? null, event: call.event, properties }, companyId, call.timestamp);
    },
    flush: () => delivery.flush(),
    close() {
      closed = true;
      return delivery.close().finally(transport.close);
    },
    stats: () => delivery.stats(),
  };
}
