import { readCookie, writeCookie } from './cookies.js';
import { PROBE } from './store/types.js';

/** The answer, probed once per page load (a page's host never changes; a new page is a new module). */
let detected: [domain: string | undefined] | undefined;

/**
 * The highest domain of this page that accepts a cookie, so sibling
 * subdomains share the identity cookies. Candidates are tried from the
 * shortest up; the browser refuses public suffixes (`co.uk`, `github.io`)
 * by itself, so no suffix list ships. `undefined` means a host-only cookie.
 */
export const detectCookieDomain = (): string | undefined => (detected ??= [probe(location.hostname)])[0];

function probe(host: string): string | undefined {
  // localhost, single labels and IP addresses can only hold a host-only cookie.
  if (/^[^.]*$|^[\d.]+$|:|\.localhost$/.test(host)) return;
  const labels = host.split('.');
  try {
    // i from labels.length - 2 down to 0: the last two labels first.
    for (let i = labels.length - 1; i--; ) {
      const candidate = labels.slice(i).join('.');
      writeCookie(PROBE, '1', 1, candidate);
      if (readCookie(PROBE) === '1') {
        writeCookie(PROBE, '', 0, candidate);
        return candidate;
      }
    }
  } catch {
    // Cookies throw (a sandboxed frame): host-only it is.
  }
}
