import { cookieStore } from './store/cookieStore.js';
import { usableLocalStorage } from './store/localStore.js';
import { memoryStore } from './store/memoryStore.js';
import type { KeyValueStore } from './store/types.js';
import { detectCookieDomain } from './cookieDomain.js';
import type { ResolvedOptions } from './options.js';
import type { Logger } from './logger.js';

/** The stores a tracker writes, chosen once from the `persistence` option and what the browser allows. */
export interface Stores {
  /** Where the ids live, in load priority: the cookie first (sibling subdomains share it), then localStorage. */
  _ids: KeyValueStore[];
  /** Session, opt-out choice: localStorage, else the cookie, else memory; always the last of `_ids`, the one every tab reads. */
  _state: KeyValueStore;
  /** Traits: localStorage or memory, never a cookie (cookies ride on every request). */
  _traits: KeyValueStore;
  /** The raw localStorage when it is usable: the queue mirror enumerates its keys. */
  _storage: Storage | undefined;
}

export function openStores({ persistence, cookieDomain, cookieExpiryDays }: ResolvedOptions, logger: Logger): Stores {
  const storage = persistence.includes('localStorage') ? usableLocalStorage() : undefined;
  const memory = memoryStore();
  let cookie: KeyValueStore | undefined;
  if (persistence.includes('cookie')) {
    const domain = cookieDomain ?? detectCookieDomain();
    if (!domain) logger._debug('host-only cookies');
    cookie = cookieStore(domain, cookieExpiryDays);
  }
  const ids = [cookie, storage].filter((store): store is KeyValueStore => !!store);
  if (persistence !== 'memory' && !ids[0]) logger._debug('memory only');
  return { _ids: ids[0] ? ids : [memory], _state: storage || cookie || memory, _traits: storage || memory, _storage: storage };
}
