import { readCookie, writeCookie } from '../cookies.js';
import { safeStore } from './types.js';
import type { KeyValueStore } from './types.js';

export interface CookieSettings {
  /** `undefined`: a host-only cookie. */
  domain: string | undefined;
  expiryDays: number;
}

/**
 * First-party cookies, or null where the browser has them off. Only small
 * values go here (ids, never traits or queued messages): cookies ride on
 * every request to the site.
 */
export function cookieStore({ domain, expiryDays }: CookieSettings): KeyValueStore | null {
  try {
    if (!navigator.cookieEnabled) return null;
  } catch {
    return null;
  }
  const attributes = { domain, days: expiryDays, secure: location.protocol === 'https:' };
  return safeStore(
    readCookie,
    // The browser may refuse silently (size, blocked third-party context): read back to know.
    (key, value) => (writeCookie(key, value, attributes), readCookie(key) === value),
    (key) => writeCookie(key, '', { ...attributes, days: 0 }),
  );
}
