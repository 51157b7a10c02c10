let replayedAt: number | undefined;

/** Milliseconds since the epoch of the call being handled: a replayed snippet call keeps the time it was made. */
export const now = (): number => replayedAt ?? Date.now();

/** Runs `fn` as if called at `time` (used when the snippet's queued calls are replayed). */
export function runAt<T>(time: number | undefined, fn: () => T): T {
  const previous = replayedAt;
  replayedAt = typeof time === 'number' && Number.isFinite(time) ? time : undefined;
  try {
    return fn();
  } finally {
    replayedAt = previous;
  }
}
