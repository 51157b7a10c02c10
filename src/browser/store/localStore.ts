import type { KeyValueStore } from './types.js';

/**
 * localStorage, or null where it is missing or unusable: blocked by privacy
 * settings (the getter throws), full, or disabled in a sandboxed frame.
 */
export function localStore(): KeyValueStore | null {
  let storage: Storage;
  try {
    storage = window.localStorage;
    const probe = '__idstitch_probe__';
    storage.setItem(probe, probe);
    storage.removeItem(probe);
  } catch {
    return null;
  }
  return {
    get(key) {
      try {
        return storage.getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        storage.setItem(key, value);
        return true;
      } catch {
        return false;
      }
    },
    remove(key) {
      try {
        storage.removeItem(key);
      } catch {
        // Nothing to repair: a failed remove leaves a value the next load overwrites.
      }
    },
  };
}
