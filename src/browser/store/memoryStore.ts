import type { KeyValueStore } from './types.js';

/** The last resort when the browser blocks or breaks every persistent store. Keys are ours (`idstitch_…`), never `__proto__`. */
export function memoryStore(): KeyValueStore {
  const values: Record<string, string> = {};
  return { getItem: (key) => values[key], setItem: (key, value) => (values[key] = value), removeItem: (key) => delete values[key] };
}
