/**
 * Ties the queue to the page's life: a hidden page hands its batches to the
 * browser, one that unloads also releases its stored queue to the next page,
 * and the network coming back sends what waited.
 */
export function followPageLifecycle(hide: (final: boolean) => void, show: () => void, flush: () => unknown): void {
  // Into the back/forward cache (`persisted`) the page is not gone: its messages stay its own, or the next page
  // would take them and both would send them when it comes back.
  addEventListener('pagehide', (event) => hide(!event.persisted));
  addEventListener('online', flush);
  // Also covers a return from the back/forward cache, which makes the page visible again.
  document.addEventListener('visibilitychange', () => (document.hidden ? hide(false) : show()));
}
