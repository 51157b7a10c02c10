import { LIMITS } from '../protocol/messages.js';
import type { ResolvedOptions } from './options.js';
import type { QueuedMessage } from './queue.js';
import { beaconBatch, postBatch } from './transport.js';

/**
 * The batch body around queued messages (`{"batch":[...],"sentAt":...,"writeKey":...}`),
 * the byte counts the limits are made of, and the two ways a batch goes to `endpoint`
 * (the queue's Sender).
 */
export function createEnvelope({ endpoint, writeKey, maxBatchBytes }: Pick<ResolvedOptions, 'endpoint' | 'writeKey' | 'maxBatchBytes'>) {
  // The fields after the batch, as JSON (a writeKey that is not set is left out). sentAt is made a string first:
  // JSON would write a Date through the page's Date.prototype.toJSON, which some pages change (local time, quotes).
  const body = (batch: QueuedMessage[]) => `{"batch":[${batch.map((m) => m._json)}],${JSON.stringify({ sentAt: new Date().toISOString(), writeKey }).slice(1)}`;
  // Limits are in bytes; TextEncoder counts UTF-8 natively, faster than any loop in JS.
  const encoder = new TextEncoder();
  const queued = (json: string): QueuedMessage => ({ _json: json, _bytes: encoder.encode(json).length });
  // Every sentAt of years 1970 to 9999 has the same length as now's.
  const bytes = queued(body([]))._bytes;
  return {
    /** POSTs a batch: what the collector answered. */
    _send: (batch: QueuedMessage[]) => postBatch(endpoint, body(batch)),
    /** Hands a batch to the browser for after the page is gone; false when refused. */
    _beacon: (batch: QueuedMessage[]) => beaconBatch(endpoint, body(batch)),
    /** A message as queued: its JSON and its UTF-8 bytes. */
    _queued: queued,
    /** Bytes of the envelope with no message in it. */
    _envelopeBytes: bytes,
    /** The largest message that fits a batch (and the collector's limit). */
    _maxMessageBytes: Math.min(LIMITS.messageBytes, maxBatchBytes - bytes),
  };
}
