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

/**
 * Counts in `ServerResponse.prototype.write` / `end`, patched once. Wrapping
 * each response's own methods instead cost Express more than the rest of the
 * recording: Express swaps the response's prototype, after which every
 * property added to it is slow.
 */
function patchServerResponse(): void {
  if (patched) return;
  patched = true;
  const proto = ServerResponse.prototype;
  const { write, end } = proto;
  proto.write = function (this: ServerResponse, chunk: unknown, encoding?: unknown) {
    const counter = counters.get(this);
    if (counter) counter.bytes += chunkBytes(chunk, encoding);
    // eslint-disable-next-line prefer-rest-params
    return write.apply(this, arguments as unknown as Parameters<typeof write>);
  } as typeof write;
  proto.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown) {
    const counter = counters.get(this);
    if (counter && typeof chunk !== 'function') counter.bytes += chunkBytes(chunk, encoding);
    // eslint-disable-next-line prefer-rest-params
    return end.apply(this, arguments as unknown as Parameters<typeof end>);
  } as typeof end;
}

/** Call when a middleware is created, before any request: a wrapper installed on a response later still reaches the patched methods. */
export function prepareResponseCounting(): void {
  patchServerResponse();
}

/** Wraps one response's own `write` / `end`: for responses that are not node:http's (HTTP/2 compatibility objects). */
function wrapResponse(res: ServerResponse, counter: { bytes: number }): void {
  const { write, end } = res;
  res.write = function (this: ServerResponse, chunk: unknown, encoding?: unknown) {
    counter.bytes += chunkBytes(chunk, encoding);
    // eslint-disable-next-line prefer-rest-params
    return write.apply(this, arguments as unknown as Parameters<typeof write>);
  } as typeof write;
  res.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown) {
    if (typeof chunk !== 'function') counter.bytes += chunkBytes(chunk, encoding);
    // eslint-disable-next-line prefer-rest-params
    return end.apply(this, arguments as unknown as Parameters<typeof end>);
  } as typeof end;
}

/**
 * Counts the body bytes the app writes to `res` (after any compression
 * middleware, wherever it is installed), whatever way it writes them:
 * `Content-Length` is absent from streamed responses. Returns the running total.
 */
export function countResponseBytes(res: ServerResponse): () => number {
  // A second middleware on the same response shares the first one's count.
  let counter = counters.get(res);
  if (!counter) {
    counter = { bytes: 0 };
    counters.set(res, counter);
    if (res instanceof ServerResponse) patchServerResponse();
    else wrapResponse(res, counter);
  }
  const total = counter;
  return () => total.bytes;
}
