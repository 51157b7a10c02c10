/** A string key-value backend. Implementations never throw: a failure reads as "absent". */
export interface KeyValueStore {
  get(key: string): string | null;
  /** Returns false when the backend refused the write. */
  set(key: string, value: string): boolean;
  remove(key: string): void;
}
