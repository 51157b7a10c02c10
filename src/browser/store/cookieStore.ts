import Cookies from 'js-cookie';
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
  const attributes = {
    domain,
    path: '/',
    expires: expiryDays,
    sameSite: 'Lax' as const,
    secure: location.protocol === 'https:',
  };
  return {
    get(key) {
      try {
        return Cookies.get(key) ?? null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        Cookies.set(key, value, attributes);
        return Cookies.get(key) === value;
      } catch {
        return false;
      }
    },
    remove(key) {
      try {
        Cookies.remove(key, attributes);
      } catch {
        // A stale cookie is overwritten at the next write.
      }
    },
  };
}
