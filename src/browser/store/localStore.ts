import { safeStore } from './types.js';
import type { KeyValueStore } from './types.js';

/**
 * localStorage, or null where it is missing or unusable: blocked by privacy
 * settings (the getter throws), full, or disabled in a sandboxed frame.
 */
export function localStore(): KeyValueStore | null {
  let storage: Storage;
  try {
    storage = window.localStorage;
    const probe = 'idstitch_probe';
    storage.setItem(probe, probe);
    storage.removeItem(probe);
  } catch {
    return null;
  }
  return safeStore(
    (key) => storage.getItem(key),
    (key, value) => storage.setItem(key, value),
    (key) => storage.removeItem(key),
  );
}
