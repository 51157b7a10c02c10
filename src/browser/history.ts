/** The event fired on `window` after `history.pushState` / `replaceState` change the URL. */
export const LOCATION_CHANGE = 'idstitch:locationchange';

let patched = false;

/**
 * SPA routers change the URL through the History API, which fires no event;
 * wrap its two methods once per page and announce a changed URL.
 */
export function watchHistory(): void {
  if (patched) return;
  patched = true;
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      const before = location.href;
      const result = original.apply(this, args);
      // Listeners' errors are reported by the browser, never thrown back into the router.
      if (location.href !== before) dispatchEvent(new Event(LOCATION_CHANGE));
      return result;
    };
  }
}
