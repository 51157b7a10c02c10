import { checkId } from '../protocol/ids.js';

/**
 * `checkId` (contract section 2) with a memory: ids repeat (one user or API
 * key calls many times), so recent verdicts are looked up, not recomputed.
 * Bounded: past 1024 distinct ids the memory starts over.
 */
export function cachedCheckId(): typeof checkId {
  const verdicts = new Map<unknown, ReturnType<typeof checkId>>();
  return (value) => {
    let verdict = verdicts.get(value);
    if (!verdict) {
      if (verdicts.size >= 1024) verdicts.clear();
      verdict = checkId(value);
      if (typeof value === 'string' || typeof value === 'number') verdicts.set(value, verdict);
    }
    return verdict;
  };
}
