/** Body sizes of an API call, without touching the request stream (reading it would steal the body from the app). */
import type { IncomingMessage, ServerResponse } from 'node:http';

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

/**
 * Counts the body bytes the app writes to `res` (after any compression
 * middleware installed later), whatever way it writes them: `Content-Length`
 * is absent from streamed responses. Returns the running total.
 */
export function countResponseBytes(res: ServerResponse): () => number {
  let bytes = 0;
  const { write, end } = res;
  res.write = function (this: ServerResponse, chunk: unknown, encoding?: unknown) {
    bytes += chunkBytes(chunk, encoding);
    // eslint-disable-next-line prefer-rest-params
    return write.apply(this, arguments as unknown as Parameters<typeof write>);
  } as typeof write;
  res.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown) {
    if (typeof chunk !== 'function') bytes += chunkBytes(chunk, encoding);
    // eslint-disable-next-line prefer-rest-params
    return end.apply(this, arguments as unknown as Parameters<typeof end>);
  } as typeof end;
  return () => bytes;
}
