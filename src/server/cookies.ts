/**
 * The browser SDK's anonymous-id cookie, seen from the server: read from the
 * `Cookie` header under the SDK's own name (`anonymousIdCookieName`, shared
 * with the browser code) and, with `serverCookie`, re-issued as written by
 * js-cookie in the browser, but with `Set-Cookie`.
 */
import type { IncomingMessage } from 'node:http';

/** What a browser SDK anonymous id looks like (a UUID, or any id of that alphabet): also what is safe to echo in `Set-Cookie`. */
const ANONYMOUS_ID = /^[A-Za-z0-9._:-]{1,255}$/;

/** Percent-decodes like js-cookie's reader: only runs of `%XX`, and a bad sequence leaves the value as it is. */
function decodeCookieValue(value: string): string {
  const bare = value.length > 1 && value[0] === '"' && value[value.length - 1] === '"' ? value.slice(1, -1) : value;
  try {
    return bare.replace(/(%[\dA-F]{2})+/gi, decodeURIComponent);
  } catch {
    return bare;
  }
}

/** True when `text` holds only whitespace (as `trim` sees it) from `from` to `to`. */
const blank = (text: string, from: number, to: number): boolean => from === to || text.slice(from, to).trim() === '';

/**
 * The value of cookie `name` in a `Cookie` header (the first, as browsers
 * send the most specific first), or undefined. Reads the pairs as
 * `header.split(';')` would (the first `=` splits a pair, the name is
 * trimmed), but only where `name` occurs, without splitting the header.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  // A name with `;` or `=` can never be a pair's name.
  if (!header || name.includes(';') || name.includes('=')) return undefined;
  if (!name) {
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq !== -1 && !pair.slice(0, eq).trim()) return decodeCookieValue(pair.slice(eq + 1).trim());
    }
    return undefined;
  }
  for (let at = header.indexOf(name); at !== -1; at = header.indexOf(name, at + 1)) {
    const after = at + name.length;
    const end = header.indexOf(';', after);
    const pairEnd = end === -1 ? header.length : end;
    const eq = header.indexOf('=', after);
    if (eq !== -1 && eq < pairEnd && blank(header, header.lastIndexOf(';', at - 1) + 1, at) && blank(header, after, eq)) {
      return decodeCookieValue(header.slice(eq + 1, pairEnd).trim());
    }
  }
  return undefined;
}

/** The SDK's anonymous id from a `Cookie` header, or null when absent or not shaped like one. */
export function readAnonymousId(header: string | undefined, cookieName: string): string | null {
  const value = readCookie(header, cookieName);
  return value !== undefined && ANONYMOUS_ID.test(value) ? value : null;
}

/** Attributes of the re-issued cookie: those the browser SDK writes (contract section 3). */
export interface ReissueSettings {
  domain: string | undefined;
  expiryDays: number;
}

/** True when the request reached us over TLS, directly or (by `X-Forwarded-Proto`) through a proxy. */
export function isHttps(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean } | null)?.encrypted) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  return typeof forwarded === 'string' && forwarded.split(',')[0]!.trim().toLowerCase() === 'https';
}

/**
 * The `Set-Cookie` value that re-issues the anonymous id: same name and
 * value, `Path=/`, `SameSite=Lax`, `Secure` on https, the SDK's domain and
 * lifetime, and deliberately not `HttpOnly`, since the SDK must still read it.
 * `value` must have passed {@link readAnonymousId}.
 */
export function anonymousIdSetCookie(name: string, value: string, secure: boolean, settings: ReissueSettings, now = Date.now()): string {
  const maxAge = Math.round(settings.expiryDays * 86_400);
  let cookie = `${name}=${value}; Path=/; Expires=${new Date(now + maxAge * 1000).toUTCString()}; Max-Age=${maxAge}`;
  if (settings.domain) cookie += `; Domain=${settings.domain}`;
  cookie += '; SameSite=Lax';
  if (secure) cookie += '; Secure';
  return cookie;
}
