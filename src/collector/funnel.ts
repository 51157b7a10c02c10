/**
 * Funnels over stitched users, answered from data kept for them: the first
 * time each principal (a user, or a lone anonymous id) did each step, in
 * `first_steps` (schema version 5; keyed by integers since version 8, see
 * store/firstSteps.ts). A principal reaches step k when the first
 * times of steps 1 to k are in that order (equal times count as in order) and
 * step k's is within `within` of step 1's.
 *
 * The table follows the identity rules of identity.ts as events and links
 * land, in the ingest transaction itself (store/apply.ts): an event with a
 * `userId` is that user's; one without is the user's its anonymous id is
 * linked to, or the lone anonymous id's; when a link lands, the anonymous
 * id's first times merge into the user's (the earlier of each wins). A link
 * never changes once stored, so the table always equals a recount of every
 * page and track event under today's links.
 */
import { STEP_STRIDE } from './store/firstSteps.js';
import type { StoredEvent } from './store/types.js';

/** The step name that matches any page view (and `screen`); every other step is a `track` event name. */
export const PAGE_STEP = 'page';

/** A step as `first_steps` keys it: `p` for page views, `t:<name>` for a track event. */
export const stepKey = (step: string): string => (step === PAGE_STEP ? 'p' : `t:${step}`);

/** {@link stepKey} as SQL over an events row aliased `e` (`type`, `event`), and the rows that have one. */
export const EVENT_STEP_SQL = (e = 'e') => `CASE WHEN ${e}.type = 'page' THEN 'p' ELSE 't:' || ${e}.event END`;
export const HAS_STEP_SQL = (e = 'e') => `(${e}.type = 'page' OR (${e}.type = 'track' AND ${e}.event IS NOT NULL))`;

/**
 * The principal of an event under today's links (identity.ts), as SQL: its
 * user, else its anonymous id's linked user (`linked`, null when the event
 * has a user id or the id is not linked), else the lone anonymous id.
 */
export const PRINCIPAL_SQL = (userId: string, linked: string, anonymousId: string) =>
  `COALESCE('u:' || ${userId}, 'u:' || ${linked}, 'a:' || ${anonymousId})`;

/** The `first_steps.principal` of a user or of a lone anonymous id. */
export const userPrincipal = (userId: string): string => `u:${userId}`;
export const anonymousPrincipal = (anonymousId: string): string => `a:${anonymousId}`;

/** One event's candidate first time: its step, its ids as stored, its time. */
export interface FirstStep {
  step: string;
  userId: string | null;
  anonymousId: string | null;
  ts: number;
}

/**
 * The candidate first times of newly stored events: one per step and ids,
 * the earliest, in a stable order (step, then ids) so concurrent writers
 * take row locks in the same order.
 */
export function firstStepsOf(events: readonly StoredEvent[]): FirstStep[] {
  const earliest = new Map<string, FirstStep>();
  for (const e of events) {
    if (e.kind !== 'page' && (e.kind !== 'track' || e.event === null)) continue;
    if (e.userId === null && e.anonymousId === null) continue;
    const step = e.kind === 'page' ? stepKey(PAGE_STEP) : stepKey(e.event!);
    const key = `${step}\u0000${e.userId ?? ''}\u0000${e.anonymousId ?? ''}`;
    const known = earliest.get(key);
    if (!known) earliest.set(key, { step, userId: e.userId, anonymousId: e.userId === null ? e.anonymousId : null, ts: e.timestamp });
    else if (e.timestamp < known.ts) known.ts = e.timestamp;
  }
  return [...earliest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, step]) => step);
}

/**
 * Principal ids from `from` up to `to` (excluded; null: no bound): the
 * share of the principals one statement of a funnel counts.
 */
export interface PrincipalRange {
  from: number;
  to: number | null;
}

/** Every principal. */
export const ALL_PRINCIPALS: PrincipalRange = { from: 0, to: null };

/**
 * Principal ids `min` to `max` in `parts` ranges of equal width, the last
 * one unbounded (principals registered meanwhile land there): a funnel
 * counted in parts that run at once, on as many reader threads or
 * connections, and added up. A funnel's rows are spread over the ids about
 * as evenly as principals arrive, so equal widths take about equal times.
 */
export function principalRanges(min: number, max: number, parts: number): PrincipalRange[] {
  const count = Math.max(1, Math.min(parts, max - min + 1));
  return Array.from({ length: count }, (_, i) => ({
    from: i === 0 ? 0 : min + Math.floor((i * (max - min + 1)) / count),
    to: i === count - 1 ? null : min + Math.floor(((i + 1) * (max - min + 1)) / count),
  }));
}

/**
 * The funnel as one statement over the steps' ids (store/firstSteps.ts), all
 * known: per step k, the principals in `principals` whose first times of
 * steps 1 to k are in order, step k's within the window of step 1's. Steps
 * must be distinct. Returns the SQL and its parameters; the columns are
 * `s0`, `s1`, ...
 */
export function funnelQuery(stepIds: readonly number[], withinMs: number | null, dialect: 'sqlite' | 'postgres' = 'sqlite',
  principals: PrincipalRange = ALL_PRINCIPALS): { sql: string; params: unknown[] } {
  return dialect === 'postgres' ? mergedFunnelQuery(stepIds, withinMs, principals) : probedFunnelQuery(stepIds, withinMs, principals);
}

/** The condition for reaching step k (k ≥ 1) over first times aliased `f0` to `fk`. */
function reaches(k: number, withinMs: number | null, params: unknown[]): string {
  const conditions = Array.from({ length: k }, (_, i) => `f${i + 1}.ts >= f${i}.ts`);
  if (withinMs !== null) {
    conditions.push(`f${k}.ts - f0.ts <= ?`);
    params.push(withinMs);
  }
  return `count(*) FILTER (WHERE ${conditions.join(' AND ')}) AS s${k}`;
}

/**
 * SQLite: step 1's rows counted, then one pass over step 2's rows (every
 * principal past step 1 has one, and later steps are usually rarer than the
 * first), each finding the same principal's row of every other step by its
 * key: a rowid lookup (CROSS JOIN keeps that order). The keys are computed
 * in SQL: past 2^53 a JavaScript number is not exact.
 */
function probedFunnelQuery(stepIds: readonly number[], withinMs: number | null, principals: PrincipalRange): { sql: string; params: unknown[] } {
  // A step's rows of the principals in range: keys from step × stride + from, below step × stride + to.
  const range = (f: string) => `${f}.key >= ? * ${STEP_STRIDE} + ? AND ${f}.key < ? * ${STEP_STRIDE} + ?`;
  const rangeParams = (stepId: number) => [stepId, principals.from, stepId, principals.to ?? STEP_STRIDE];
  const first = `(SELECT count(*) FROM first_steps f0 WHERE ${range('f0')}) AS s0`;
  const params: unknown[] = rangeParams(stepIds[0]!);
  if (stepIds.length === 1) return { sql: `SELECT ${first}`, params };
  // The parameters in the order the text holds them: the counts' windows, the later steps' joins, step 2's range, step 1's.
  const counts = stepIds.slice(1).map((_, j) => reaches(j + 1, withinMs, params));
  const later = stepIds.slice(2).map((id, j) => {
    params.push(id);
    return `LEFT JOIN first_steps f${j + 2} ON f${j + 2}.key = f1.principal + ? * ${STEP_STRIDE}`;
  });
  params.push(...rangeParams(stepIds[1]!), stepIds[0]);
  const sql = `SELECT ${first}, * FROM (SELECT ${counts.join(', ')}
    FROM first_steps f1 CROSS JOIN first_steps f0 ${later.join(' ')}
    WHERE ${range('f1')} AND f0.key = f1.principal + ? * ${STEP_STRIDE})`;
  return { sql, params };
}

/**
 * PostgreSQL: step 1's index range, and each later step's, all in principal
 * order, merged (merge joins, no hashing, no sort). Each later step is a
 * subquery that the planner keeps (`OFFSET 0`): inside it, `step = ?`
 * makes the index's order the principal's; under a LEFT JOIN the planner
 * does not know that, and sorted the range again. Joined as tables, or
 * grouped by principal, the 10 M worst case took 0.6 to 1.2 s; merged, 0.32 s
 * (in two principal ranges at once, 0.17 s). Each merge still materializes
 * a side (a subquery cannot go back to a mark), about a quarter of the time;
 * the forms tried without (DISTINCT ON subqueries, an inner join per step,
 * the ranges merge-appended and grouped) were slower on PostgreSQL 15.
 */
function mergedFunnelQuery(stepIds: readonly number[], withinMs: number | null, principals: PrincipalRange): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  // The principals in range, a bound of each step's index range.
  const inRange = (f: string) => `${f}principal >= ?${principals.to === null ? '' : ` AND ${f}principal < ?`}`;
  const rangeParams = principals.to === null ? [principals.from] : [principals.from, principals.to];
  const counts = ['count(*) AS s0', ...stepIds.slice(1).map((_, j) => reaches(j + 1, withinMs, params))];
  const later = stepIds.slice(1).map((id, j) => {
    params.push(id, ...rangeParams);
    return `LEFT JOIN (SELECT principal, ts FROM first_steps WHERE step = ? AND ${inRange('')} ORDER BY principal OFFSET 0) f${j + 1} ON f${j + 1}.principal = f0.principal`;
  });
  params.push(stepIds[0], ...rangeParams);
  return { sql: `SELECT ${counts.join(', ')} FROM first_steps f0 ${later.join(' ')} WHERE f0.step = ? AND ${inRange('f0.')}`, params };
}
