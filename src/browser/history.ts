/**
 * Calls `listener` after every SPA navigation: `popstate`, and the History
 * API's `pushState` / `replaceState` when they change the URL. Those fire no
 * event, so each tracker with `autoPage` wraps them (a second tracker wraps
 * the first one's wrapper). The listener is a tracker's public `page`, which
 * never throws back into the router.
 */
export function onNavigation(listener: () => void): void {
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      const before = location.href;
      const result = original.apply(this, args);
      if (location.href !== before) listener();
      return result;
    };
  }
  addEventListener('popstate', listener);
}
