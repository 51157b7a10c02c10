import { attempt } from '../attempt.js';

/**
 * localStorage when it is usable, itself the tracker's store; undefined where
 * it is missing or unusable: blocked by privacy settings (the getter throws),
 * full, or disabled in a sandboxed frame.
 */
export const usableLocalStorage = (): Storage | undefined =>
  attempt(() => {
    const storage = window.localStorage;
    const probe = 'idstitch_probe';
    storage.setItem(probe, probe);
    storage.removeItem(probe);
    return storage;
  });
