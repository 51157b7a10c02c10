/**
 * The cookie calls the tracker needs, and nothing more: our cookie names are
 * word characters and our values are percent-encoded, so the general
 * escaping a cookie library carries is not needed (RFC 6265 §4.1.1).
 * Replaces js-cookie in the browser build, where it cost 700 B.
 */
export function readCookie(name: string): string | undefined {
  const match = new RegExp(`(?:^|; )${name}=([^;]*)`).exec(document.cookie);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

/** The identity cookies' attributes. `days` 0 deletes the cookie; no `domain`: a host-only cookie. */
export function writeCookie(name: string, value: string, days: number, domain?: string, secure?: boolean): void {
  document.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=${Math.round(days * 86_400)}; samesite=lax${domain ? '; domain=' + domain : ''}${secure ? '; secure' : ''}`;
}
