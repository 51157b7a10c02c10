import { isUsableSecret, makeIdentityToken, type IdentitySecret } from '../node/identityToken.js';
import { checkId, describeIdProblem } from '../protocol/ids.js';

/** Options of {@link signIdentity}. */
export interface SignIdentityOptions {
  /** Seconds until the token expires; the SDK keeps it until logout, so sign again at each login. @default 2592000 (30 days) */
  ttl?: number;
}

/** 30 days, in seconds. */
const DEFAULT_TTL = 30 * 86_400;

/**
 * Signs a user id for the browser at login: pass the token to the SDK's
 * `identifyUser(userId, traits, { token })`. A collector started with the
 * same secret (`--identity-secret`) believes a browser's `userId` only with
 * a valid, unexpired token for that id, so no visitor can write events into
 * another person's profile. The token is opaque: HMAC-SHA256 over the user
 * id and the expiry.
 *
 * Throws a `TypeError` for an empty secret, an id the collector would refuse
 * (README "Browser API"), or a ttl that is not a positive number of seconds.
 *
 * @example
 * app.post('/login', (req, res) => {
 *   const user = authenticate(req);
 *   res.json({ userId: user.id, identityToken: signIdentity(process.env.IDSTITCH_IDENTITY_SECRET, user.id) });
 * });
 */
export function signIdentity(secret: IdentitySecret, userId: string | number, options: SignIdentityOptions = {}): string {
  if (!isUsableSecret(secret)) throw new TypeError('signIdentity: secret must be a non-empty string, Buffer or KeyObject');
  const check = checkId(userId);
  if (!check.ok) throw new TypeError(`signIdentity: userId ${describeIdProblem(check.problem, userId)}`);
  const { ttl = DEFAULT_TTL } = options;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) throw new TypeError('signIdentity: options.ttl must be a positive number of seconds');
  return makeIdentityToken(secret, check.id, Math.floor(Date.now() / 1000 + ttl));
}
