import type { PageContext } from '../protocol/messages.js';

/** A call made earlier and run now: a snippet call made before the script loaded, or one held until consent. */
let replayed: [time: number, page?: PageContext] | undefined;

/** Milliseconds since the epoch of the call being handled: a replayed call keeps the time it was made. */
export const now = (): number => replayed?.[0] ?? Date.now();

/** The page a replayed call was made on, when it was recorded (an SPA may have moved on since). */
export const replayedPage = (): PageContext | undefined => replayed?.[1];

/** Replays a recorded call: `tracker[method](...args)` as if called at `time`, on `page` when given. */
export function callAt(tracker: object, method: string, args: unknown[], time?: number, page?: PageContext): unknown {
  const previous = replayed;
  replayed = Number.isFinite(time) ? [time!, page] : undefined;
  try {
    return (tracker as Record<string, (...a: unknown[]) => unknown>)[method]!(...args);
  } finally {
    replayed = previous;
  }
}
