import { attempt } from '../attempt.js';
import { readCookie, writeCookie } from '../cookies.js';
import type { KeyValueStore } from './types.js';

/**
 * First-party cookies on `domain` (undefined: host-only), or undefined where the
 * browser has them off. Only small values go here (ids, never traits or
 * queued messages): cookies ride on every request to the site.
 */
export function cookieStore(domain: string | undefined, expiryDays: number): KeyValueStore | undefined {
  if (!attempt(() => navigator.cookieEnabled)) return;
  const secure = location.protocol === 'https:';
  return {
    getItem: readCookie,
    setItem: (key, value) => writeCookie(key, value, expiryDays, domain, secure),
    removeItem: (key) => writeCookie(key, '', 0, domain, secure),
  };
}
