import { readCookie, writeCookie } from './cookies.js';

const PROBE = 'idstitch_probe';
/** The answer for this page's host: probed once per page load. */
let detected: [host: string, domain: string | undefined] | undefined;

/**
 * The highest domain of this page that accepts a cookie, so sibling
 * subdomains share the identity cookies. Candidates are tried from the
 * shortest up; the browser refuses public suffixes (`co.uk`, `github.io`)
 * by itself, so no suffix list ships. `undefined` means a host-only cookie.
 */
export function detectCookieDomain(): string | undefined {
  const host = location.hostname;
  if (detected?.[0] === host) return detected[1];
  let domain: string | undefined;
  // localhost, single labels and IP addresses can only hold a host-only cookie.
  if (!/^[^.]*$|^[\d.]+$|:|\.localhost$/.test(host)) {
    const labels = host.split('.');
    try {
      for (let i = labels.length - 2; i >= 0 && !domain; i--) {
        const candidate = labels.slice(i).join('.');
        writeCookie(PROBE, '1', 1, candidate);
        if (readCookie(PROBE) === '1') {
          domain = candidate;
          writeCookie(PROBE, '', 0, candidate);
        }
      }
    } catch {
      // Cookies throw (a sandboxed frame): host-only it is.
    }
  }
  detected = [host, domain];
  return domain;
}
