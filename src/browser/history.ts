/** What runs after a history change: the page views of every tracker with `autoPage`. */
const listeners: (() => void)[] = [];

/**
 * Calls `listener` after every SPA navigation: `popstate`, and the History
 * API's `pushState` / `replaceState` when they change the URL. Those fire no
 * event, so they are wrapped, once per page. Listeners are trackers' public
 * methods, which never throw back into the router.
 */
export function onNavigation(listener: () => void): void {
  if (!listeners.length) {
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        const before = location.href;
        const result = original.apply(this, args);
        if (location.href !== before) listeners.forEach((run) => run());
        return result;
      };
    }
  }
  listeners.push(listener);
  addEventListener('popstate', listener);
}
