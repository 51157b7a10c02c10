import { readCookie, writeCookie } from './cookies.js';

const PROBE = 'idstitch_probe';
let detected: { host: string; domain: string | undefined } | undefined;

/** Hosts that can only hold a host-only cookie: localhost, single labels, IP addresses. */
const isHostOnly = (host: string) => /^[^.]*$|^[\d.]+$|:|\.localhost$/.test(host);

/**
 * The highest domain of this page that accepts a cookie, so sibling
 * subdomains share the identity cookies. Candidates are tried from the
 * shortest up; the browser refuses public suffixes (`co.uk`, `github.io`)
 * by itself, so no suffix list ships. `undefined` means a host-only cookie.
 * Probed once per page load.
 */
export function detectCookieDomain(): string | undefined {
  const host = location.hostname;
  if (detected?.host === host) return detected.domain;
  let domain: string | undefined;
  if (!isHostOnly(host)) {
    const labels = host.split('.');
    for (let i = labels.length - 2; i >= 0 && !domain; i--) {
      const candidate = labels.slice(i).join('.');
      try {
        writeCookie(PROBE, '1', { domain: candidate, days: 1 });
        if (readCookie(PROBE) === '1') {
          domain = candidate;
          writeCookie(PROBE, '', { domain: candidate, days: 0 });
        }
      } catch {
        break;
      }
    }
  }
  detected = { host, domain };
  return domain;
}
