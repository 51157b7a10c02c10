import { attempt } from '../attempt.js';
import { PROBE } from './types.js';

/**
 * localStorage when it is usable, itself the tracker's store; undefined where
 * it is missing or unusable: blocked by privacy settings (the getter throws),
 * full, or disabled in a sandboxed frame.
 */
export const usableLocalStorage = (): Storage | undefined =>
  attempt(() => {
    const storage = window.localStorage;
    storage.setItem(PROBE, PROBE);
    storage.removeItem(PROBE);
    return storage;
  });
