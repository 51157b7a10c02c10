import { safeStore } from './types.js';
import type { KeyValueStore } from './types.js';

/** The last resort when the browser blocks or breaks every persistent store. */
export function memoryStore(): KeyValueStore {
  const values = new Map<string, string>();
  return safeStore(
    (key) => values.get(key),
    (key, value) => values.set(key, value),
    (key) => values.delete(key),
  );
}
