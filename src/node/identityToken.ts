/**
 * Identity tokens (README "Verified identity"): the app's server signs a user
 * id at login, the browser SDK carries the token on that user's messages, and
 * the collector believes a browser's `userId` only with a valid one. Shared
 * by `idstitch/server` (signs) and the collector (verifies).
 *
 * A token is `v1.<expiry>.<mac>`: the expiry in Unix seconds, base 36; the
 * mac HMAC-SHA256, base64url, over the user id and that expiry. It holds no
 * user id: the message carrying it names the user, and a token made for
 * another id does not verify.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/** A token longer than this is refused unread. */
export const MAX_TOKEN_LENGTH = 512;

/** A secret the tokens are signed with. */
export type IdentitySecret = string | Buffer | KeyObject;

/** True for a secret HMAC can use: a non-empty string or Buffer, or a KeyObject. */
export const isUsableSecret = (secret: unknown): secret is IdentitySecret =>
  typeof secret === 'string' ? secret.length > 0 : Buffer.isBuffer(secret) ? secret.length > 0 : typeof (secret as KeyObject | null)?.export === 'function';

const VERSION = 'v1';
// The user id ends at a NUL, which no stored id holds (ingest refuses it), so no two (id, expiry) pairs sign alike.
const mac = (secret: IdentitySecret, userId: string, expiry: number): Buffer =>
  createHmac('sha256', secret).update(`idstitch identity ${VERSION}\u0000${userId}\u0000${expiry}`, 'utf8').digest();

/** A token for `userId` that expires at `expiry` (Unix seconds). */
export function makeIdentityToken(secret: IdentitySecret, userId: string, expiry: number): string {
  return `${VERSION}.${expiry.toString(36)}.${mac(secret, userId, expiry).toString('base64url')}`;
}

/** What a token check found; only `valid` counts. */
export type TokenVerdict = 'valid' | 'missing' | 'malformed' | 'expired' | 'wrong';

const TOKEN = /^v1\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{43})$/;

/**
 * Checks a token for `userId` against every secret (several during a
 * rotation), in constant time per secret. `now` in ms.
 */
export function verifyIdentityToken(secrets: readonly IdentitySecret[], userId: string, token: unknown, now: number): TokenVerdict {
  if (token === undefined || token === null) return 'missing';
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return 'malformed';
  const match = TOKEN.exec(token);
  if (!match) return 'malformed';
  const expiry = parseInt(match[1]!, 36);
  const given = Buffer.from(match[2]!, 'base64url');
  if (given.length !== 32) return 'malformed';
  // Every secret is tried, so the time taken does not tell which one (or whether any) matched.
  let matched = false;
  for (const secret of secrets) matched = timingSafeEqual(mac(secret, userId, expiry), given) || matched;
  if (!matched) return 'wrong';
  return expiry * 1000 > now ? 'valid' : 'expired';
}
