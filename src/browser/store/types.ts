import { attempt } from '../attempt.js';

/** A string key-value backend. Implementations never throw: a failure reads as "absent". */
export interface KeyValueStore {
  _get(key: string): string | null;
  /** Returns false when the backend refused the write. */
  _set(key: string, value: string): boolean;
  _remove(key: string): void;
}

/**
 * Wraps raw backend calls so none of them can throw: browsers throw from
 * storage on privacy settings, quota, sandboxed frames and disabled cookies.
 * A remove that fails leaves a stale value, overwritten at the next write or
 * ignored at the next load.
 */
export const safeStore = (
  get: (key: string) => string | null | undefined,
  set: (key: string, value: string) => unknown,
  remove: (key: string) => unknown,
): KeyValueStore => ({
  _get: (key) => attempt(() => get(key)) ?? null,
  _set: (key, value) => attempt(() => set(key, value) !== false, false),
  _remove: (key) => void attempt(() => remove(key)),
});
