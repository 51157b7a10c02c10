/**
 * `fn()`, or `fallback` when it throws. The browser throws from storage,
 * cookies, the console and beacons on privacy settings, quota and sandboxed
 * frames, and the page's own callbacks throw anything: none of it may reach
 * the page.
 */
export function attempt<T>(fn: () => T): T | undefined;
export function attempt<T, F>(fn: () => T, fallback: F): T | F;
export function attempt<T, F>(fn: () => T, fallback?: F): T | F | undefined {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
