/**
 * Who may write and who may read.
 *
 * Write keys arrive as Segment's own libraries send them: HTTP Basic auth
 * with the key as the user name (analytics-node, the HTTP API), or
 * `writeKey` in the body (analytics.js). Write keys ship inside web pages, so
 * they are identifiers rather than secrets. The dashboard token is a secret:
 * it is compared in constant time. Without a token, only requests whose
 * `Host` names this machine may read ({@link refuseForeignHosts}).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

/** The key of an `Authorization: Basic base64(key:)` header, if that is what it is. */
export function basicAuthKey(header: string | undefined): string | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

/** True when no keys are configured, or one of `candidates` is a configured key. */
export function writeKeyAccepted(keys: ReadonlySet<string>, candidates: readonly (string | undefined)[]): boolean {
  return keys.size === 0 || candidates.some((key) => key !== undefined && keys.has(key));
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The bearer token of a request: `Authorization: Bearer <token>` or `?token=`. */
export function dashboardTokenOf(header: string | undefined, queryToken: unknown): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (match) return match[1];
  return typeof queryToken === 'string' ? queryToken : undefined;
}

/** Constant-time check of a presented token against the configured one. */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  return presented !== undefined && timingSafeEqual(digest(expected), digest(presented));
}

/**
 * True when a request's `Host` names this machine: `localhost` or a
 * `*.localhost` name (RFC 6761 keeps them on loopback), an address in
 * 127.0.0.0/8 or `[::1]`, with any port, or the name the collector was told
 * to listen on (`host`). A page on `http://evil.example` whose name an
 * attacker re-points at 127.0.0.1 (DNS rebinding) is same-origin with itself,
 * not with the collector, but its requests still say `Host: evil.example`:
 * loopback alone proves nothing about who reads.
 */
export function isLocalHostHeader(header: string | undefined, configuredHost: string): boolean {
  if (!header) return false;
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::\d{1,5})?$/.exec(header.trim().toLowerCase());
  if (!match) return false;
  const name = match[1]!.replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]') return true;
  if (/^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(name)) return true;
  const configured = configuredHost.toLowerCase();
  return name === configured || name === `[${configured}]`;
}

/**
 * Adds to `app` (the dashboard and the query API, not ingest or `/healthz`)
 * a 403 for requests whose `Host` is not {@link isLocalHostHeader local}, when
 * no dashboard token is set. With a token set, the token is the trust: the
 * collector is then meant to be reached under any name (`--host 0.0.0.0`
 * behind a load balancer), a request that presents the token may read from
 * any Host, and one that does not gets the token check's 401 (the dashboard's
 * scripts, which hold no data, stay open as before).
 */
export function refuseForeignHosts(app: FastifyInstance, options: { host: string; dashboardToken: string | null }): void {
  if (options.dashboardToken !== null) return;
  app.addHook('onRequest', async (request) => {
    if (isLocalHostHeader(request.headers.host, options.host)) return;
    throw new HttpError(403, `Host ${JSON.stringify(request.headers.host ?? '')} is not this machine: without a dashboard token, the dashboard and the query API answer only requests to localhost, 127.0.0.1 or [::1]`);
  });
}
