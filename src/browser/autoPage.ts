import type { Tracker } from './tracker.js';

/**
 * The `autoPage` feature: a page view now and after every SPA navigation.
 * It is a value of its own so that an app which never turns it on does not
 * ship its History API wrapping (a bundler cannot drop code that an option
 * turns on at run time). The script-tag build bundles it, so there
 * `autoPage: true` is enough.
 */
export type AutoPage = (tracker: Tracker) => void;

/**
 * Pass it as the `autoPage` option on the npm path.
 *
 * @example
 * import { autoPage, createTracker } from 'idstitch';
 * createTracker({ endpoint: 'https://collect.example.com/v1/batch', autoPage });
 */
export const autoPage: AutoPage = (tracker) => {
  // The listener is the tracker's public `page`, which never throws back into the router.
  const page = () => tracker.page();
  // After every SPA navigation: `popstate`, and the History API's `pushState` / `replaceState` when they change
  // the URL. Those fire no event, so each tracker with `autoPage` wraps them (a second tracker wraps the first
  // one's wrapper).
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      const before = location.href;
      const result = original.apply(this, args);
      if (location.href !== before) page();
      return result;
    };
  }
  addEventListener('popstate', page);
  page();
};
