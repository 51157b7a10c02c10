/**
 * Funnels over stitched users: how many did step 1, then step 2, ... in that
 * order, each step within `within` of the first.
 */

/** One candidate event, in time order. `principal` is the stitched user it belongs to. */
export interface FunnelEvent {
  principal: string;
  type: string;
  event: string | null;
  ts: number;
}

/** The step name that matches any page view (and `screen`); every other step is a `track` event name. */
export const PAGE_STEP = 'page';

function matches(step: string, e: FunnelEvent): boolean {
  return step === PAGE_STEP ? e.type === 'page' : e.type === 'track' && e.event === step;
}

/**
 * Counts, per step, the principals that reached it, fed one event at a time
 * in time order (so the caller can read events in pages and hold none of
 * them). For each principal and step it keeps the latest start time from
 * which that step was reached within the window: a later start leaves the
 * most room for the next step, so one pass finds the best chain.
 */
export class FunnelCount {
  private readonly latestStart = new Map<string, number[]>();

  constructor(private readonly steps: readonly string[], private readonly withinMs: number | null) {}

  add(e: FunnelEvent): void {
    const { steps, withinMs } = this;
    let reached = this.latestStart.get(e.principal);
    // High steps first, so one event never serves two consecutive steps.
    for (let k = steps.length - 1; k >= 0; k--) {
      if (!matches(steps[k]!, e)) continue;
      if (k === 0) {
        if (!reached) this.latestStart.set(e.principal, (reached = []));
        reached[0] = e.ts;
        continue;
      }
      const start = reached?.[k - 1];
      if (start === undefined || (withinMs !== null && e.ts - start > withinMs)) continue;
      if (reached![k] === undefined || reached![k]! < start) reached![k] = start;
    }
  }

  /** Principals per step so far. */
  counts(): number[] {
    const counts = this.steps.map(() => 0);
    for (const reached of this.latestStart.values()) {
      for (let k = 0; k < this.steps.length && reached[k] !== undefined; k++) counts[k]!++;
    }
    return counts;
  }
}

/** {@link FunnelCount} over events already in time order. */
export function countFunnel(events: Iterable<FunnelEvent>, steps: readonly string[], withinMs: number | null): number[] {
  const count = new FunnelCount(steps, withinMs);
  for (const e of events) count.add(e);
  return count.counts();
}
