/**
 * Names of the browser SDK's cookies and localStorage keys. They live here,
 * not in the browser code, because the server integration reads the
 * anonymous-id cookie under the same name.
 */

/** FNV-1a, 32 bit: a short, cookie-safe tag for a write key, not a secret. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

/**
 * The prefix of every key a tracker stores: `idstitch_` for a tracker without a
 * write key, `idstitch_<tag>_` with one, so two trackers with different write
 * keys on one page never share state.
 */
export function storagePrefix(writeKey?: string | null): string {
  return writeKey ? `idstitch_${fnv1a(writeKey)}_` : 'idstitch_';
}

/** The anonymous-id cookie (and localStorage key) for a write key. */
export function anonymousIdCookieName(writeKey?: string | null): string {
  return `${storagePrefix(writeKey)}aid`;
}
