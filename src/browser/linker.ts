import { idProblem } from '../protocol/ids.js';
import { fnv1a } from '../protocol/storageKeys.js';
import type { Tracker } from './api.js';
import { attempt } from './attempt.js';
import type { Logger } from './logger.js';

/**
 * The `linkDomains` feature, made by {@link linker}: it receives the tracker
 * as it starts, decorates links and forms to the listed domains from then
 * on, and answers the anonymous id that a valid incoming `_idl` carries.
 */
export type Linker = (tracker: Tracker, logger: Logger) => string | undefined;

/** The query parameter that carries the visitor to another domain. */
export const LINK_PARAM = '_idl';

/** A link older than this is a shared or bookmarked one, not the visitor's own click. */
const MAX_AGE_S = 120;

/**
 * Ties a link to this browser and to its own fields, as Google Analytics'
 * linker does: another browser (user agent, language) or a hand edit of the
 * time or the id fails it. A tag, not a secret.
 */
const checksum = (time: string, anonymousId: string): string =>
  fnv1a(`${navigator.userAgent}|${navigator.language}|${time}|${anonymousId}`);

/** `<time in s, base 36>.<checksum>.<anonymous id>`: the id last, as it may hold dots. */
export function linkValue(anonymousId: string, nowMs = Date.now()): string {
  const time = Math.floor(nowMs / 1000).toString(36);
  return `${time}.${checksum(time, anonymousId)}.${anonymousId}`;
}

/** The anonymous id of a `_idl` value made by this browser at most {@link MAX_AGE_S} ago; undefined otherwise. */
export function readLinkValue(value: string, nowMs = Date.now()): string | undefined {
  const [, time, sum, id] = /^(\w+)\.(\w+)\.(.+)$/.exec(value) ?? [];
  const age = nowMs / 1000 - parseInt(time!, 36);
  // A small negative age is the same second read back; anything further ahead was edited.
  if (id && sum === checksum(time!, id) && age > -2 && age <= MAX_AGE_S && !idProblem(id)) return id;
}

/**
 * The `linkDomains` option: one visitor across registrable domains
 * (`docs.vendor.io` and `app.vendor.com`). Links and forms to `domains` (and
 * their subdomains) get `_idl` at the moment they are followed; the tracker
 * on the other side, set up with the same feature, adopts the anonymous id.
 * Pass it from `idstitch` on the npm path (apps without it do not ship it);
 * the script-tag build takes the list itself.
 *
 * @example
 * import { createTracker, linker } from 'idstitch';
 * createTracker({ endpoint: 'https://collect.example.com/v1/batch', linkDomains: linker(['app.vendor.com']) });
 */
export function linker(domains: readonly string[]): Linker {
  return (tracker, logger) => {
    // At the moment a link or form is followed, however it is followed (a mousedown comes before a middle click or
    // a context menu's "open in new tab"); on the document, so links added later are covered too.
    // The page's own listeners run in the same dispatch: an href no URL can be made of must not throw into it.
    const follow = ({ type, target }: Event) =>
      attempt(() => {
        // A form is followed by its submit and leads to its action; a link leads to its href.
        const key = type === 'submit' ? 'action' : 'href';
        const to = (key === 'href' ? (target as Element | null)?.closest?.('[href]') : target) as (HTMLAnchorElement & HTMLFormElement) | null;
        const url = to && new URL(to[key], location.href);
        const id = tracker.getAnonymousId();
        const host = url?.hostname;
        // Another host of a linked domain (or its subdomain), and a visitor to carry (consent given).
        // `mailto:` and the like have no host, so never match.
        if (url && id && host !== location.hostname && domains.some((domain) => `.${host}`.endsWith(`.${domain}`))) {
          const value = linkValue(id);
          // A GET form replaces the action's query with its fields: the id rides as one of them (a link has no method).
          if (to.method === 'get') {
            ((to.elements.namedItem(LINK_PARAM) as HTMLInputElement | null) ??
              to.appendChild(Object.assign(document.createElement('input'), { type: 'hidden', name: LINK_PARAM }))).value = value;
          } else {
            url.searchParams.set(LINK_PARAM, value);
            to[key] = url.href;
          }
        }
      });
    for (const type of ['mousedown', 'keydown', 'click', 'submit']) addEventListener(type, follow, true);

    const value = new URLSearchParams(location.search).get(LINK_PARAM);
    if (value !== null) {
      // Gone from the address bar before the first message, so no page context and no shared link carries it.
      history.replaceState(history.state, '', location.pathname + location.search.replace(/[?&]_idl=[^&]*/g, '').replace(/^&/, '?') + location.hash);
      const id = readLinkValue(value);
      if (!id) logger._debug('_idl ignored', value);
      return id;
    }
  };
}
