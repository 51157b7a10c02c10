/**
 * The ingest routes (README "Wire format" and "The collector"): Segment's paths, JSON or
 * text/plain, optional gzip, write keys, per-message refusal.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LIMITS } from '../../protocol/index.js';
import { basicAuthKey, writeKeyAccepted } from '../auth.js';
import { badRequest, HttpError } from '../errors.js';
import { inflateWithCap } from '../inflate.js';
import { bodyWriteKey, readBatch, readSingle, SUPPRESSED, withSuppressed } from '../ingest.js';
import { verifyIdentityToken } from '../../node/identityToken.js';
import { parseJsonBody } from '../json.js';
import type { Store } from '../store/types.js';
import { allowOrigin, preflight } from './cors.js';

export interface IngestRoutesOptions {
  store: Store;
  writeKeys: readonly string[];
  /** Keys whose batches are trusted with any user id (README "Verified identity"). */
  serverWriteKeys: readonly string[];
  /** Identity token secrets; none: verification off. */
  identitySecrets: readonly string[];
}

/** Batch paths: ours, Segment's browser library's short one, and the HTTP API's import. */
export const BATCH_PATHS = ['/v1/batch', '/v1/b', '/v1/import'];

/** Single-message paths and the type each one sets. */
export const SINGLE_PATHS: Record<string, string> = {
  '/v1/track': 'track', '/v1/t': 'track',
  '/v1/identify': 'identify', '/v1/i': 'identify',
  '/v1/page': 'page', '/v1/p': 'page',
  '/v1/group': 'group', '/v1/g': 'group',
  '/v1/alias': 'alias', '/v1/a': 'alias',
  '/v1/screen': 'screen', '/v1/s': 'screen',
};

export async function ingestRoutes(app: FastifyInstance, options: IngestRoutesOptions): Promise<void> {
  const { store, identitySecrets } = options;
  const keys = new Set(options.writeKeys);
  const serverKeys = new Set(options.serverWriteKeys);

  // Segment's clients send JSON as text/plain (no preflight) or application/json, so any type is read as JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: LIMITS.batchBytes }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (!encoding || encoding === 'identity') return payload;
    if (encoding === 'gzip' || encoding === 'x-gzip') return inflateWithCap(payload, request.routeOptions.bodyLimit ?? LIMITS.batchBytes);
    throw new HttpError(415, `Content-Encoding "${encoding}" is not supported; send gzip or no encoding`);
  });
  app.addHook('onRequest', async (request, reply) => allowOrigin(request, reply));

  /** Refuses a request without an accepted key; returns how its user ids are checked (none: all trusted). */
  const authorize = (request: FastifyRequest, body: unknown, reply: FastifyReply, receivedAt: number) => {
    const presented = [basicAuthKey(request.headers.authorization), bodyWriteKey(body)];
    const fromServer = presented.some((key) => key !== undefined && serverKeys.has(key));
    if (!fromServer && !writeKeyAccepted(keys, presented)) {
      reply.header('www-authenticate', 'Basic realm="idstitch"');
      throw new HttpError(401, 'missing or unknown write key (send it as the Basic auth user name or as "writeKey" in the body)');
    }
    if (fromServer || !identitySecrets.length) return undefined;
    // A browser's batch carries one user's token on each of its messages: one HMAC per pair, not per message.
    const verdicts = new Map<string, boolean>();
    return (userId: string, token: unknown) => {
      if (typeof token !== 'string') return false;
      const key = `${userId}\u0000${token}`;
      let valid = verdicts.get(key);
      if (valid === undefined) verdicts.set(key, (valid = verifyIdentityToken(identitySecrets, userId, token, receivedAt) === 'valid'));
      return valid;
    };
  };

  for (const path of [...BATCH_PATHS, ...Object.keys(SINGLE_PATHS)]) app.options(path, preflight);

  for (const path of BATCH_PATHS) {
    app.post(path, { bodyLimit: LIMITS.batchBytes }, async (request, reply) => {
      const receivedAt = Date.now();
      const verify = authorize(request, request.body, reply, receivedAt);
      const read = readBatch(request.body, receivedAt, verify);
      // Suppression is checked in the write transaction itself, so a batch that raced an erasure is refused too.
      const rejected = withSuppressed(read, (await store.ingest(read.events)).suppressed);
      return rejected.length ? { ok: true, rejected } : { ok: true };
    });
  }
  for (const [path, type] of Object.entries(SINGLE_PATHS)) {
    app.post(path, { bodyLimit: LIMITS.messageBytes }, async (request, reply) => {
      const receivedAt = Date.now();
      const verify = authorize(request, request.body, reply, receivedAt);
      const { suppressed } = await store.ingest([readSingle(request.body, type, receivedAt, verify)]);
      // Refused like any other bad single message: a 400 with the reason, which no client retries.
      if (suppressed) throw badRequest(SUPPRESSED);
      return { ok: true };
    });
  }
}
