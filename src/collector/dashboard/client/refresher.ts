/**
 * The one rule every section that re-reads the query API follows (stats,
 * chart, funnel, conflicts). A section is asked to refresh when the live
 * stream brings events (pushed, never on a timer), or by its own control;
 * its refresher then loads:
 *
 * - never while the tab is hidden (`document.visibilityState`): asked
 *   meanwhile, it loads once, at once, when the tab is shown again, and not
 *   at all if nothing asked (https://html.spec.whatwg.org/multipage/interaction.html#page-visibility);
 * - never while its previous load is still running: asked meanwhile, it
 *   loads once more after that one ends, so a slow answer never piles up
 *   requests of its kind;
 * - when asked by events, after a short pause that gathers a burst, then at
 *   most once per `every` ms however often it is asked: steady traffic still
 *   refreshes, at a pace its cost allows.
 */

/** The pause before a load asked for by events: a burst of batches becomes one load. */
const GATHER_MS = 300;

export interface Refresher {
  /** Data changed: load soon, within the pace. */
  changed(): void;
  /** The user asked (or the page opened): load as soon as the rules allow. */
  now(): void;
}

/** `load` shows its own errors and should not reject. */
export function refresher(load: () => Promise<void>, every: number): Refresher {
  let due: number | null = null; // when the load asked for may start; null: nothing asked
  let running = false;
  let lastStart = -Infinity;
  let timer: number | undefined;

  const hidden = () => document.visibilityState === 'hidden';

  function arm(): void {
    window.clearTimeout(timer);
    timer = undefined;
    if (due === null || running || hidden()) return;
    timer = window.setTimeout(start, Math.max(0, due - Date.now()));
  }

  function start(): void {
    timer = undefined;
    if (due === null || running || hidden()) return;
    due = null;
    running = true;
    lastStart = Date.now();
    void load().finally(() => {
      running = false;
      arm();
    });
  }

  function ask(at: number): void {
    due = Math.min(due ?? Infinity, at);
    arm();
  }

  document.addEventListener('visibilitychange', () => {
    if (due !== null && !hidden()) due = Date.now();
    arm();
  });

  return {
    changed: () => ask(Math.max(Date.now() + GATHER_MS, lastStart + every)),
    now: () => ask(Date.now()),
  };
}
