/**
 * A server message's JSON, built the same way on the event loop (client
 * calls) and on the delivery thread (API calls): the caller's fields, then
 * the stamped `messageId`, `timestamp` and `context`.
 */
import { randomUUID } from 'node:crypto';
import { API_CALL_EVENT, SERVER_LIBRARY, type Properties } from '../protocol/messages.js';
import type { ApiCallProperties } from './apiCall.js';
import { VERSION } from '../protocol/version.js';

/** JSON.stringify that survives what callers pass in: cycles and BigInt become strings. */
export function serialize(message: object): string {
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
export function isoMs(ms: number): string {
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

/** A `timestamp` argument as ISO text: now when absent, null when it is not a date. */
export function isoTimestamp(value: Date | string | number | undefined): string | null {
  if (value === undefined) return isoMs(Date.now());
  if (typeof value === 'number') return Number.isFinite(value) && Math.abs(value) <= 8.64e15 ? isoMs(Math.trunc(value)) : null;
  const date = new Date(value instanceof Date ? value.getTime() : value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const libraryJson = JSON.stringify({ name: SERVER_LIBRARY, version: VERSION });
const plainContextJson = `{"library":${libraryJson}}`;

/**
 * The message's JSON: `fields` (which always has `type`) followed by the
 * stamped fields, as one object with those keys in that order would give.
 * Throws only when `fields` cannot be serialised at all.
 */
export function stampedJson(fields: { type: string }, companyId: string | null | undefined, iso: string): string {
  const context = companyId ? `{"library":${libraryJson},"groupId":${JSON.stringify(companyId)}}` : plainContextJson;
  // `fields` always has `type`, so its JSON is a non-empty object: drop its `}` and go on.
  return `${serialize(fields).slice(0, -1)},"messageId":"${randomUUID()}","timestamp":"${iso}","context":${context}}`;
}

/** One API call as the middleware hands it over: everything its `API Call` message needs, in plain values. */
export interface ApiCallRecord extends Omit<ApiCallProperties, 'aborted'> {
  /** Epoch ms of the request's arrival: the message's `timestamp`. */
  at: number;
  anonymousId: string | null;
  userId: string | null;
  companyId: string | null;
  aborted: boolean;
}

/** The `API Call` properties of a record (contract section 5), `aborted` only when true. */
export function apiCallProperties(call: ApiCallRecord): ApiCallProperties & Properties {
  const properties: ApiCallProperties & Properties = {
    method: call.method,
    route: call.route,
    path: call.path,
    status: call.status,
    durationMs: call.durationMs,
    requestBytes: call.requestBytes,
    responseBytes: call.responseBytes,
  };
  if (call.aborted) properties.aborted = true;
  return properties;
}

/** The `API Call` track message of a record, as `client.track` would build it. */
export function apiCallJson(call: ApiCallRecord): string {
  const fields = { type: 'track', userId: call.userId, anonymousId: call.anonymousId, event: API_CALL_EVENT, properties: apiCallProperties(call) };
  return stampedJson(fields, call.companyId, isoMs(call.at));
}
