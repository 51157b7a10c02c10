/** Body sizes of an API call, without touching the request stream (reading it would steal the body from the app). */
import { ServerResponse, type IncomingMessage } from 'node:http';

/** The request body's size from `Content-Length`; null when it is streamed chunked (unknown without reading it), 0 when there is none. */
export function requestBytes(req: IncomingMessage): number | null {
  const length = req.headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
  }
  return req.headers['transfer-encoding'] ? null : 0;
}

function chunkBytes(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

/** Each observed response's running count of body bytes. */
const counters = new WeakMap<object, { bytes: number }>();
let patched = false;

type Counting = Pick<ServerResponse, 'write' | 'end'>;

/** Replaces `target`'s `write` / `end` with ones that add what passes through to `counterOf(response)`. */
function countThrough(target: Counting, counterOf: (res: ServerResponse) => { bytes: number } | undefined): void {
  const { write, end } = target;
  target.write = function (this: ServerResponse, chunk: unknown, encoding?: unknown) {
    const counter = counterOf(this);
    if (counter) counter.bytes += chunkBytes(chunk, encoding);
    // eslint-disable-next-line prefer-rest-params
    return write.apply(this, arguments as unknown as Parameters<typeof write>);
  } as typeof write;
  target.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown) {
    const counter = counterOf(this);
    if (counter && typeof chunk !== 'function') counter.bytes += chunkBytes(chunk, encoding);
    // eslint-disable-next-line prefer-rest-params
    return end.apply(this, arguments as unknown as Parameters<typeof end>);
  } as typeof end;
}

/**
 * Counts in `ServerResponse.prototype.write` / `end`, patched once. Wrapping
 * each response's own methods instead cost Express more than the rest of the
 * recording: Express swaps the response's prototype, after which every
 * property added to it is slow. Call when a middleware is created, before any
 * request: a wrapper installed on a response later still reaches the patched
 * methods.
 */
export function prepareResponseCounting(): void {
  if (patched) return;
  patched = true;
  countThrough(ServerResponse.prototype, (res) => counters.get(res));
}

/**
 * Counts the body bytes the app writes to `res` (after any compression
 * middleware, wherever it is installed), whatever way it writes them:
 * `Content-Length` is absent from streamed responses. Returns the running total.
 */
export function countResponseBytes(res: ServerResponse): () => number {
  // A second middleware on the same response shares the first one's count.
  const existing = counters.get(res);
  if (existing) return () => existing.bytes;
  const counter = { bytes: 0 };
  counters.set(res, counter);
  // Responses that are not node:http's (HTTP/2 compatibility objects) get their own methods wrapped.
  if (res instanceof ServerResponse) prepareResponseCounting();
  else countThrough(res, () => counter);
  return () => counter.bytes;
}
