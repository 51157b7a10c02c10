/** A string key-value backend. Implementations never throw: a failure reads as "absent". */
export interface KeyValueStore {
  get(key: string): string | null;
  /** Returns false when the backend refused the write. */
  set(key: string, value: string): boolean;
  remove(key: string): void;
}

/**
 * Wraps raw backend calls so none of them can throw: browsers throw from
 * storage on privacy settings, quota, sandboxed frames and disabled cookies.
 */
export function safeStore(get: (key: string) => string | null | undefined, set: (key: string, value: string) => unknown, remove: (key: string) => void): KeyValueStore {
  return {
    get(key) {
      try {
        return get(key) ?? null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        return set(key, value) !== false;
      } catch {
        return false;
      }
    },
    remove(key) {
      try {
        remove(key);
      } catch {
        // A stale value is overwritten at the next write or ignored at the next load.
      }
    },
  };
}
