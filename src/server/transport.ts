/**
 * One POST of a batch body to the collector, gzip-compressed above a size,
 * with a timeout. Node's global `fetch`: no dependency, keep-alive pooling.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { VERSION } from './version.js';
import { SERVER_LIBRARY } from '../protocol/messages.js';

const gzip = promisify(gzipCallback);

/** What became of one POST: the HTTP status (0 for a network error or timeout), the collector's per-message refusals, and `Retry-After` in ms. */
export interface SendResult {
  status: number;
  rejected?: { index: number; reason: string }[];
  retryAfterMs?: number;
}

export interface PostSettings {
  endpoint: string;
  writeKey?: string;
  gzipAbove: number;
  timeout: number;
}

/** Longest `Retry-After` honoured: a misconfigured proxy must not park the queue for a day. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 section 10.2.3), in ms from now. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** Statuses worth another try: the network, the server's trouble, a timeout, throttling (contract section 6). */
export const isRetryable = (status: number): boolean => status === 0 || status === 408 || status === 429 || status >= 500;

/** POSTs `body`; never rejects. */
export async function postBatch(settings: PostSettings, body: string): Promise<SendResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': `${SERVER_LIBRARY}/${VERSION}` };
  if (settings.writeKey) headers.authorization = `Basic ${Buffer.from(`${settings.writeKey}:`).toString('base64')}`;
  let payload: string | Uint8Array<ArrayBuffer> = body;
  if (Buffer.byteLength(body) > settings.gzipAbove) {
    // Async: compressing a large batch must not stall the host's event loop.
    const zipped = await gzip(body);
    payload = new Uint8Array(zipped.buffer as ArrayBuffer, zipped.byteOffset, zipped.byteLength);
    headers['content-encoding'] = 'gzip';
  }
  let response: Response;
  try {
    response = await fetch(settings.endpoint, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(settings.timeout) });
  } catch {
    return { status: 0 };
  }
  const result: SendResult = { status: response.status, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
  try {
    const answer: unknown = await response.json();
    const rejected = (answer as SendResult | null)?.rejected;
    if (Array.isArray(rejected)) result.rejected = rejected;
  } catch {
    // Segment-compatible endpoints may answer with an empty or non-JSON body.
  }
  return result;
}
