import { createHmac, type KeyObject } from 'node:crypto';
import { isUsableSecret } from '../node/identityToken.js';

/** Options of {@link hmacUid}. */
export interface HmacUidOptions {
  /**
   * Who is acting as the user, e.g. a support agent's email when they log in
   * as a customer. The uid then covers `actor::value` (Fullstory's pattern),
   * so the impersonated sessions get an id of their own and never pollute
   * the real user's profile.
   * @default none
   */
  actor?: string;
}

const SEPARATOR = '::';

/**
 * Turns an unsuitable uid (an email, a phone number) into an opaque,
 * stable one: HMAC-SHA256 of `value` under a server-side `secret`, as 64
 * lowercase hex characters. Not guessable without the secret, so a visitor
 * cannot spoof another user's identity from the browser console, and it
 * reveals nothing about the user (Fullstory's advice for uids). Normalise
 * the value first (e.g. lowercase an email) if your app treats variants as
 * one user: the HMAC is exact.
 *
 * With `actor`, the result is an impersonation id: HMAC of
 * `actor::value`, which never equals `hmacUid(secret, value)`.
 *
 * Throws a `TypeError` for an empty secret, value or actor: a setup mistake
 * that must not silently produce one uid for everybody.
 *
 * @example
 * hmacUid(process.env.UID_SECRET, 'daniel.falko@example.com');                       // the user
 * hmacUid(process.env.UID_SECRET, 'name@customer.com', { actor: 'support@app.com' }); // support acting as them
 */
export function hmacUid(secret: string | Buffer | KeyObject, value: string, options: HmacUidOptions = {}): string {
  if (!isUsableSecret(secret)) throw new TypeError('hmacUid: secret must be a non-empty string, Buffer or KeyObject');
  if (typeof value !== 'string' || !value) throw new TypeError('hmacUid: value must be a non-empty string');
  const { actor } = options;
  if (actor !== undefined && (typeof actor !== 'string' || !actor)) throw new TypeError('hmacUid: options.actor must be a non-empty string');
  const input = actor === undefined ? value : `${actor}${SEPARATOR}${value}`;
  return createHmac('sha256', secret).update(input, 'utf8').digest('hex');
}
