import { attempt } from '../attempt.js';
import { safeStore } from './types.js';
import type { KeyValueStore } from './types.js';

/**
 * localStorage when it is usable; undefined where it is missing or unusable:
 * blocked by privacy settings (the getter throws), full, or disabled in a
 * sandboxed frame.
 */
export const usableLocalStorage = (): Storage | undefined =>
  attempt(() => {
    const storage = window.localStorage;
    const probe = 'idstitch_probe';
    storage.setItem(probe, probe);
    storage.removeItem(probe);
    return storage;
  });

export const localStore = (storage: Storage): KeyValueStore =>
  safeStore(
    (key) => storage.getItem(key),
    (key, value) => storage.setItem(key, value),
    (key) => storage.removeItem(key),
  );
