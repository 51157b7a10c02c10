import type { KeyValueStore } from './types.js';

/** The last resort when the browser blocks or breaks every persistent store. */
export function memoryStore(): KeyValueStore {
  const values = new Map<string, string>();
  return { getItem: (key) => values.get(key), setItem: (key, value) => values.set(key, value), removeItem: (key) => values.delete(key) };
}
