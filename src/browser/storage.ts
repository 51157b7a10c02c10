import { cookieStore } from './store/cookieStore.js';
import { localStore } from './store/localStore.js';
import { memoryStore } from './store/memoryStore.js';
import type { KeyValueStore } from './store/types.js';
import { detectCookieDomain } from './cookieDomain.js';
import type { ResolvedOptions } from './options.js';
import type { Logger } from './logger.js';

/** The stores a tracker writes, chosen once from the `persistence` option and what the browser allows. */
export interface Stores {
  /** Where the ids live, in load priority: the cookie first (sibling subdomains share it), then localStorage. */
  ids: KeyValueStore[];
  /** Session, opt-out choice: localStorage, else the cookie, else memory. */
  state: KeyValueStore;
  /** Traits: localStorage or memory, never a cookie (cookies ride on every request). */
  traits: KeyValueStore;
  /** The raw localStorage when it is usable: the queue mirror enumerates its keys. */
  storage: Storage | null;
}

export function openStores(options: ResolvedOptions, logger: Logger): Stores {
  const mode = options.persistence;
  const local = mode.includes('localStorage') ? localStore() : null;
  let cookie: KeyValueStore | null = null;
  if (mode.includes('cookie')) {
    const domain = options.cookieDomain ?? detectCookieDomain();
    if (!options.cookieDomain && !domain) logger.debug('host-only cookies');
    cookie = cookieStore({ domain, expiryDays: options.cookieExpiryDays });
  }
  const ids = [cookie, local].filter((s): s is KeyValueStore => s !== null);
  const memory = memoryStore();
  if (mode !== 'memory' && !ids.length) logger.debug('storage blocked: memory only');
  return { ids: ids.length ? ids : [memory], state: local ?? cookie ?? memory, traits: local ?? memory, storage: local && localStorage };
}
