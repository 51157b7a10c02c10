import { attempt } from '../attempt.js';

/**
 * A string key-value backend: localStorage itself, or one with its shape.
 * Backends may throw (browsers throw from storage on privacy settings,
 * quota, sandboxed frames and disabled cookies); the tracker reaches them
 * only through {@link read} and {@link write}, which never do.
 */
export interface KeyValueStore {
  getItem(key: string): string | null | undefined;
  setItem(key: string, value: string): unknown;
  removeItem(key: string): unknown;
}

/** The value; null or undefined when it is absent or unreadable. */
export const read = (store: KeyValueStore, key: string): string | null | undefined => attempt(() => store.getItem(key));

/**
 * Writes `value`, or removes the key when there is none. Nothing waits on the
 * outcome: a write or remove that fails leaves a stale value, overwritten at
 * the next write or ignored at the next load.
 */
export const write = (store: KeyValueStore, key: string, value: string | null | undefined): void =>
  void attempt(() => (value ? store.setItem(key, value) : store.removeItem(key)));

/** The key written and removed to learn whether a store (a cookie domain, localStorage) accepts writes. */
export const PROBE = 'idstitch_probe';
