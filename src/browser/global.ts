import { autoPage } from './autoPage.js';
import { callAt } from './clock.js';
import { linker } from './linker.js';
import { createTracker as createCoreTracker, inertResult, TRACKER_METHODS } from './tracker.js';
import type { Tracker } from './tracker.js';
import type { TrackerOptions } from './options.js';

/** A call the snippet's stub recorded before this script loaded: `[method, arguments, Date.now()]`. */
type StubCall = [string, unknown[], number?];

/**
 * The script tag bundles every feature: `autoPage: true` and a `linkDomains` list turn on the ones they name.
 * Options whose getters throw (a Proxy, a getter) go to the core as given, which refuses them with an inert tracker.
 */
function createTracker(options: TrackerOptions): Tracker {
  try {
    const { autoPage: page, linkDomains: domains } = options;
    options = { ...options, autoPage: page === true ? autoPage : page, linkDomains: Array.isArray(domains) ? linker(domains) : domains };
  } catch {
    // Refused by the core below, like any bad options.
  }
  return createCoreTracker(options);
}

/** Calls made before `init()` wait here, in order, with their times; bounded so a missing init cannot grow it forever. */
const MAX_PENDING = 100;

/** `window.idstitch` of the script-tag build. */
export type IdstitchGlobal = Tracker & {
  /** Creates the default tracker; the global's methods act on it. A second call is ignored. */
  init(options: TrackerOptions): void;
  createTracker: typeof createTracker;
};

// Installs window.idstitch.
try {
  let tracker: Tracker | undefined;
  // Calls made before init() wait here, in order, with their times.
  const pending: StubCall[] = [];
  const call = ([method, args, time = Date.now()]: StubCall): unknown => {
    if (method === 'init') {
      tracker ??= createTracker(args[0] as TrackerOptions);
      pending.splice(0).forEach(call);
    } else if ((TRACKER_METHODS as readonly string[]).includes(method)) {
      if (tracker) return callAt(tracker, method, args, time);
      if (pending.length < MAX_PENDING) pending.push([method, args, time]);
    }
    // A recorded call this version does not know (a newer snippet, a Segment-style push) is skipped, not fatal.
    return inertResult(method);
  };

  const api: Record<string, unknown> = { createTracker };
  for (const method of ['init', ...TRACKER_METHODS]) api[method] = (...args: unknown[]) => call([method, args]);

  // Without a window (server rendering, a worker) this first use of it throws, and the catch below ends the install.
  const stub = (window as unknown as { idstitch?: unknown }).idstitch;
  (window as unknown as { idstitch: unknown }).idstitch = api;
  // The snippet's stub is an array of recorded calls: replay them in order, at the times they were made.
  if (Array.isArray(stub)) for (const recorded of stub as StubCall[]) if (Array.isArray(recorded)) call(recorded);
} catch {
  // The script-tag build must never break the page it was pasted into.
}
