/**
 * Who may write and who may read.
 *
 * Write keys arrive as Segment's own libraries send them: HTTP Basic auth
 * with the key as the user name (analytics-node, the HTTP API), or
 * `writeKey` in the body (analytics.js). Write keys ship inside web pages, so
 * they are identifiers rather than secrets. The dashboard token is a secret:
 * it is compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

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
