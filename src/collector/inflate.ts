/**
 * Gzip request bodies, inflated as a stream with a cap on the inflated size,
 * so a small "gzip bomb" costs at most `cap` bytes of work and memory.
 */
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { HttpError, payloadTooLarge } from './errors.js';

/** A stream fastify can parse; `receivedEncodedLength` lets it check Content-Length against the compressed size. */
export type InflatedBody = PassThrough & { receivedEncodedLength: number };

/**
 * Pipes `source` through gunzip into the returned stream. Past `cap` inflated
 * bytes the stream fails with a 413; a corrupt body fails with a 400. The
 * source is drained, not destroyed, so the client still gets its answer.
 */
export function inflateWithCap(source: Readable, cap: number): InflatedBody {
  const gunzip = createGunzip();
  const out = new PassThrough() as InflatedBody;
  out.receivedEncodedLength = 0;
  let inflated = 0;
  let failed = false;

  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    source.unpipe(gunzip);
    gunzip.destroy();
    source.resume();
    out.destroy(error);
  };
  source.on('data', (chunk: Buffer) => { out.receivedEncodedLength += chunk.length; });
  source.on('error', fail);
  gunzip.on('data', (chunk: Buffer) => {
    inflated += chunk.length;
    if (inflated > cap) fail(payloadTooLarge(`inflated body is larger than ${Math.round(cap / 1024)} KB`));
    else out.write(chunk);
  });
  gunzip.on('error', () => fail(new HttpError(400, 'body is not valid gzip')));
  gunzip.on('end', () => { if (!failed) out.end(); });
  source.pipe(gunzip);
  return out;
}
