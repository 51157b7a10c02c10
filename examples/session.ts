/**
 * The example app's own login session: a signed cookie holding who is logged
 * in. Nothing idstitch-specific, just enough auth for the examples; a real
 * app has its own (express-session, a JWT, ...). The idstitch middleware only
 * asks it "who is this request?" through `identifyUser` / `identifyCompany`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface SessionUser {
  /** `hmacUid(secret, email)`: the stable, opaque id the tracker and the collector see. */
  id: string;
  companyId: string;
  email: string;
}

export const SESSION_COOKIE = 'example_session';

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

/**
 * The session's cookie domain for a request's host: the parent domain on a
 * subdomain (`a.example.test` → `example.test`), host-only on localhost and
 * IP addresses. The session must span the same hosts as the SDK's identity
 * cookie: with a login kept per subdomain, a stale session on one subdomain
 * would attribute the next user's API calls to the previous one.
 */
export function sessionDomain(hostname: string): string | undefined {
  return /^[\d.]+$|^\[|^[^.]+$/.test(hostname) ? undefined : hostname.split('.').slice(-2).join('.');
}

const attributes = (domain: string | undefined) => `Path=/; HttpOnly; SameSite=Lax${domain ? `; Domain=${domain}` : ''}`;

/** The `Set-Cookie` value that logs `user` in: `<payload>.<signature>`, HttpOnly so page scripts never see it. */
export function sessionCookie(secret: string, user: SessionUser, domain: string | undefined): string {
  const payload = Buffer.from(JSON.stringify(user)).toString('base64url');
  return `${SESSION_COOKIE}=${payload}.${sign(secret, payload)}; ${attributes(domain)}`;
}

/** The `Set-Cookie` value that logs out. */
export const clearedSessionCookie = (domain: string | undefined) => `${SESSION_COOKIE}=; ${attributes(domain)}; Max-Age=0`;

/** One cookie's raw value from a `Cookie` header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of header?.split(';') ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** The logged-in user of a request, or undefined when there is no session or its signature does not match. */
export function readSession(secret: string, req: IncomingMessage): SessionUser | undefined {
  const value = cookieValue(req.headers.cookie, SESSION_COOKIE);
  const dot = value?.lastIndexOf('.') ?? -1;
  if (!value || dot < 1) return undefined;
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(sign(secret, payload));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SessionUser;
  } catch {
    return undefined;
  }
}
