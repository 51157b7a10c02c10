/**
 * Ingest validation (README "Wire format" and "The collector"): a body becomes the messages
 * to store and the ones refused, each with a reason.
 *
 * A body that is not a batch is refused whole (400). Inside a batch each bad
 * message is refused alone and listed in `rejected`; the good ones are stored.
 */
import { randomUUID } from 'node:crypto';
import { checkId, describeIdProblem, LIMITS, MAX_ID_LENGTH } from '../protocol/index.js';
import { correctedTimestamp, parseTimestamp } from './clock.js';
import { badRequest, payloadTooLarge } from './errors.js';
import { sourceOf } from './source.js';
import type { EventKind, StoredEvent } from './store/types.js';

/** A message refused alone. */
export interface Rejection {
  index: number;
  reason: string;
}

/** Why one message was refused; `tooLarge` makes a single-message route answer 413. */
interface Refusal {
  reason: string;
  tooLarge?: boolean;
}

/** The message types accepted, and how each is stored. */
const KINDS = new Map<unknown, EventKind>([
  ['identify', 'identify'], ['track', 'track'], ['page', 'page'], ['screen', 'page'], ['group', 'group'], ['alias', 'alias'],
]);

// NUL cannot be stored in a PostgreSQL text column, and a lone surrogate
// would be silently replaced, merging ids that differ.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuse(reason: string, tooLarge = false): Refusal {
  return { reason, tooLarge };
}

/** A user or company id per README "Browser API", or the reason it is refused. */
function readId(field: string, value: unknown): string | Refusal {
  const check = checkId(value);
  if (!check.ok) return refuse(`${field} ${describeIdProblem(check.problem, value)}`);
  if (UNSTORABLE.test(check.id)) return refuse(`${field} contains a NUL or an unpaired surrogate`);
  return check.id;
}

/** An anonymous id: any non-empty string of at most 255 characters. */
function readAnonymousId(field: string, value: unknown): string | Refusal {
  if (typeof value !== 'string' || value.length === 0) return refuse(`${field} must be a non-empty string`);
  if (value.length > MAX_ID_LENGTH) return refuse(`${field} is longer than ${MAX_ID_LENGTH} characters`);
  if (UNSTORABLE.test(value)) return refuse(`${field} contains a NUL or an unpaired surrogate`);
  return value;
}

function readName(field: string, value: unknown, required: boolean): string | null | Refusal {
  if (value === undefined || value === null) return required ? refuse(`${field} is missing`) : null;
  if (typeof value !== 'string' || (required && !value.trim())) return refuse(`${field} must be a non-empty string`);
  if (value.length > 1024) return refuse(`${field} is longer than 1024 characters`);
  if (UNSTORABLE.test(value)) return refuse(`${field} contains a NUL or an unpaired surrogate`);
  return value;
}

function readBag(field: string, value: unknown, storedByKey = false): Json | null | Refusal {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) return refuse(`${field} must be an object`);
  if (!storedByKey) return value;
  for (const key of Object.keys(value)) {
    if (key.length > MAX_ID_LENGTH || UNSTORABLE.test(key)) return refuse(`${field} has a key that is too long or contains a NUL`);
  }
  return value;
}

const failed = (value: unknown): value is Refusal => isObject(value) && typeof value.reason === 'string';

/** When a batch arrived, what its `sentAt` said, and how its user ids are checked. */
export interface Arrival {
  receivedAt: number;
  sentAt: number | null;
  /**
   * Whether a message's `userId` counts, given its `context.identityToken`
   * (README "Verified identity"); absent when every user id counts
   * (verification off, or a batch under a server write key).
   */
  verify?: (userId: string, token: unknown) => boolean;
}

/**
 * Validates one message. `type` (from a single-message route) overrides the
 * message's own. Returns the event to store, or why it is refused.
 */
export function readMessage(raw: unknown, arrival: Arrival, type?: string): StoredEvent | Refusal {
  if (!isObject(raw)) return refuse('message must be a JSON object');
  if (type !== undefined) raw.type = type;
  delete raw.writeKey;
  // A token is a credential: checked here, never stored or shown.
  let token: unknown;
  if (isObject(raw.context) && 'identityToken' in raw.context) {
    token = raw.context.identityToken;
    delete raw.context.identityToken;
  }
  let body: string;
  try {
    body = JSON.stringify(raw);
  } catch {
    return refuse('message cannot be serialised');
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: only a long body needs counting.
  if (body.length * 3 > LIMITS.messageBytes && Buffer.byteLength(body) > LIMITS.messageBytes) return refuse(`message is larger than ${LIMITS.messageBytes / 1024} KB`, true);

  const kind = KINDS.get(raw.type);
  if (raw.type === undefined) return refuse('type is missing');
  if (!kind) return refuse(`unknown type ${JSON.stringify(raw.type).slice(0, 40)}`);

  let messageId: string;
  if (raw.messageId === undefined || raw.messageId === null) {
    messageId = randomUUID();
    raw.messageId = messageId;
    body = JSON.stringify(raw);
  } else if (typeof raw.messageId !== 'string' || !raw.messageId) {
    return refuse('messageId must be a non-empty string');
  } else if (raw.messageId.length > LIMITS.messageIdLength) {
    return refuse(`messageId is longer than ${LIMITS.messageIdLength} characters`);
  } else if (UNSTORABLE.test(raw.messageId)) {
    return refuse('messageId contains a NUL or an unpaired surrogate');
  } else {
    messageId = raw.messageId;
  }

  const anonymousId = raw.anonymousId === undefined || raw.anonymousId === null ? null : readAnonymousId('anonymousId', raw.anonymousId);
  if (failed(anonymousId)) return anonymousId;
  let userId = raw.userId === undefined || raw.userId === null ? null : readId('userId', raw.userId);
  if (failed(userId)) return userId;
  let unverifiedUserId: string | null = null;
  if (userId !== null && arrival.verify && !arrival.verify(userId, token)) {
    // Nothing but the anonymous id is left to store it under: an alias names no anonymous id of its sender's.
    if (anonymousId === null || kind === 'alias') return refuse('unverified');
    unverifiedUserId = userId;
    userId = null;
    delete raw.userId;
    body = JSON.stringify(raw);
  }

  let previousId: string | null = null;
  if (kind === 'alias') {
    if (userId === null) return refuse('alias needs a userId');
    const previous = readAnonymousId('previousId', raw.previousId);
    if (failed(previous)) return previous;
    previousId = previous;
  } else if (anonymousId === null && userId === null) {
    return refuse('message has neither anonymousId nor userId');
  }

  const originalTimestamp = raw.timestamp === undefined || raw.timestamp === null ? null : parseTimestamp(raw.timestamp);
  if (originalTimestamp === null && raw.timestamp !== undefined && raw.timestamp !== null) {
    return refuse('timestamp is not an ISO 8601 date');
  }
  const sentAt = parseTimestamp(raw.sentAt) ?? arrival.sentAt;

  const context = readBag('context', raw.context);
  if (failed(context)) return context;
  const library = context && isObject(context.library) ? context.library.name : undefined;

  let event: string | null = null;
  let traits: Json | null = null;
  let groupId: string | null = null;
  if (kind === 'track') {
    const name = readName('event', raw.event, true);
    if (failed(name)) return name;
    event = name;
  } else if (kind === 'page') {
    const name = readName('name', raw.name, false);
    if (failed(name)) return name;
    event = name;
  }
  if (kind === 'track' || kind === 'page') {
    const properties = readBag('properties', raw.properties);
    if (failed(properties)) return properties;
  }
  if (kind === 'identify' || kind === 'group') {
    const bag = readBag('traits', raw.traits, true);
    if (failed(bag)) return bag;
    traits = bag;
  }
  if (kind === 'group') {
    const company = readId('groupId', raw.groupId);
    if (failed(company)) return company;
    groupId = company;
  } else if (context && context.groupId !== undefined && context.groupId !== null) {
    // A bad company id in the context does not spoil the message: it is just not a link.
    const company = readId('context.groupId', context.groupId);
    groupId = failed(company) ? null : company;
  }
  // An unverified sender joins no company and names none: the company's profile and count stay as they are.
  if (unverifiedUserId !== null) {
    groupId = null;
    if (kind === 'group') traits = null;
  }

  return {
    messageId,
    kind,
    event,
    anonymousId,
    userId,
    previousId,
    groupId,
    unverifiedUserId,
    traits,
    source: sourceOf(library),
    timestamp: correctedTimestamp(arrival.receivedAt, originalTimestamp, sentAt),
    originalTimestamp,
    receivedAt: arrival.receivedAt,
    body,
  };
}

/** A batch body read: what to store and what was refused. */
export interface ReadBatch {
  events: StoredEvent[];
  /** Each event's index in the batch. */
  indexes: number[];
  rejected: Rejection[];
}

/** Why the store refused a valid message: it names an erased id (README "Erasure"). */
export const SUPPRESSED = 'suppressed';

/**
 * The batch's refusals with those of the store added: `suppressed` are
 * positions in the batch's events, as the store answered them. In batch order.
 */
export function withSuppressed(read: ReadBatch, suppressed: readonly number[] | undefined): Rejection[] {
  if (!suppressed?.length) return read.rejected;
  const all = [...read.rejected, ...suppressed.map((position) => ({ index: read.indexes[position]!, reason: SUPPRESSED }))];
  return all.sort((a, b) => a.index - b.index);
}

/** The write key a body carries, if any. */
export function bodyWriteKey(body: unknown): string | undefined {
  return isObject(body) && typeof body.writeKey === 'string' ? body.writeKey : undefined;
}

/** Reads a `/v1/batch` body; throws a 400 when it is not a batch at all. */
export function readBatch(body: unknown, receivedAt: number, verify?: Arrival['verify']): ReadBatch {
  if (!isObject(body)) throw badRequest('body must be a JSON object with a "batch" array');
  if (!Array.isArray(body.batch)) throw badRequest('body has no "batch" array');
  if (body.batch.length > LIMITS.batchMessages) {
    throw badRequest(`batch has ${body.batch.length} messages; at most ${LIMITS.batchMessages} are accepted`);
  }
  const arrival: Arrival = { receivedAt, sentAt: parseTimestamp(body.sentAt), verify };
  const events: StoredEvent[] = [];
  const indexes: number[] = [];
  const rejected: Rejection[] = [];
  body.batch.forEach((raw: unknown, index: number) => {
    const result = readMessage(raw, arrival);
    if (failed(result)) rejected.push({ index, reason: result.reason });
    else {
      events.push(result);
      indexes.push(index);
    }
  });
  return { events, indexes, rejected };
}

/**
 * Reads a single-message body (`/v1/track`, ...). The route names the type.
 * Throws 400 (or 413 when the message is over 32 KB) when it is refused.
 */
export function readSingle(body: unknown, type: string, receivedAt: number, verify?: Arrival['verify']): StoredEvent {
  if (!isObject(body)) throw badRequest('body must be a JSON object (one message)');
  const result = readMessage(body, { receivedAt, sentAt: null, verify }, type);
  if (failed(result)) {
    throw result.tooLarge ? payloadTooLarge(result.reason) : badRequest(result.reason);
  }
  return result;
}
