/**
 * `createServerClient`: builds section 5 messages on the server
 * (`context.library.name = "idstitch-node"`) and hands them to the delivery
 * loop. Never throws at run time: bad calls are reported through `onError`.
 */
import type { Message, Properties } from '../protocol/messages.js';
import type { DeliveryStats } from './delivery/queue.js';
import { createThreadDeliverer } from './delivery/thread.js';
import { createReporter, ServerError } from './errors.js';
import { describeIdProblem } from '../protocol/ids.js';
import { cachedCheckId } from './idCheck.js';
import { createLocalDeliverer, messageBytes } from './delivery/local.js';
import { isoTimestamp, stampedJson, type ApiCallRecord } from './messageJson.js';
import { resolveClientOptions, type ServerClientOptions } from './options.js';

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

/** The middleware's way in: each client's intake of API calls, for clients made by {@link createServerClient}. */
const apiCallIntakes = new WeakMap<object, (call: ApiCallRecord) => void>();

/** A client's intake of API calls (built into messages where delivery runs), or undefined for any other object. */
export const apiCallIntakeOf = (client: object): ((call: ApiCallRecord) => void) | undefined => apiCallIntakes.get(client);

/**
 * Creates a client. Options are checked here: a bad one throws an
 * `ServerOptionError` naming it (a setup error, seen at startup).
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
  const { onError, thread, ...deliveryOptions } = resolveClientOptions(options);
  const report = createReporter(onError);
  const delivery = thread ? createThreadDeliverer(deliveryOptions, report) : createLocalDeliverer(deliveryOptions, report);
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
    report(new ServerError('invalid-id', `${what} ${describeIdProblem(check.problem, value)}`));
    return undefined;
  };

  const enqueue = (fields: Outgoing, companyId?: string | null, timestamp?: Date | string | number): boolean => {
    if (closed) {
      report(new ServerError('closed', `${fields.type} after close() was dropped`));
      return false;
    }
    const iso = isoTimestamp(timestamp);
    if (iso === null) return refuse('invalid-argument', `timestamp ${String(timestamp)} is not a date`);
    let json: string;
    try {
      json = stampedJson(fields, companyId, iso);
    } catch (error) {
      return refuse('invalid-argument', `${fields.type} cannot be serialised: ${String(error)}`);
    }
    const bytes = messageBytes(json, fields.type, report);
    if (bytes === undefined) return false;
    delivery.push({ json, bytes });
    return true;
  };

  const client: ServerClient = {
    writeKey: deliveryOptions.writeKey,
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
      return delivery.close();
    },
    stats: () => delivery.stats(),
  };
  apiCallIntakes.set(client, (call) => {
    if (closed) report(new ServerError('closed', 'an API call after close() was dropped'));
    else delivery.pushApiCall(call);
  });
  return client;
}
