import { attempt } from '../attempt.js';

/**
 * A string key-value backend: localStorage itself, or one with its shape.
 * Backends may throw (browsers throw from storage on privacy settings,
 * quota, sandboxed frames and disabled cookies); the tracker reaches them
 * only through {@link read}, {@link write} and {@link erase}, which never do.
 */
export interface KeyValueStore {
  getItem(key: string): string | null | undefined;
  /** `false` when the backend refused the write; anything else is success. */
  setItem(key: string, value: string): unknown;
  removeItem(key: string): unknown;
}

/** The value, or null when it is absent or unreadable. */
export const read = (store: KeyValueStore, key: string): string | null => attempt(() => store.getItem(key)) ?? null;

/** False when the backend refused the write. */
export const write = (store: KeyValueStore, key: string, value: string): boolean => attempt(() => store.setItem(key, value) !== false, false);

/** A remove that fails leaves a stale value, overwritten at the next write or ignored at the next load. */
export const erase = (store: KeyValueStore, key: string): void => void attempt(() => store.removeItem(key));
