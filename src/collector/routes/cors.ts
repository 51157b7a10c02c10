/**
 * CORS for the ingest routes only: browsers on any site may send events
 * (with cookies, as `sendBeacon` does), but the query API is not readable
 * cross-origin, so a page a developer visits cannot read a local collector.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Adds the CORS answer headers (reflecting the Origin, which credentialed requests need). */
export function allowOrigin(request: FastifyRequest, reply: FastifyReply): void {
  // Without it a page cannot read Retry-After on a 429/503 (not a CORS-safelisted header), and retries early.
  reply.header('access-control-expose-headers', 'Retry-After');
  const origin = request.headers.origin;
  if (!origin) {
    reply.header('access-control-allow-origin', '*');
    return;
  }
  reply.header('access-control-allow-origin', origin);
  reply.header('access-control-allow-credentials', 'true');
  reply.header('vary', 'Origin');
}

/** Answers a preflight `OPTIONS` request. */
export function preflight(request: FastifyRequest, reply: FastifyReply): void {
  allowOrigin(request, reply);
  reply.header('access-control-allow-methods', 'POST, OPTIONS');
  reply.header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? 'Content-Type, Content-Encoding, Authorization');
  reply.header('access-control-max-age', '86400');
  reply.code(204).send();
}
