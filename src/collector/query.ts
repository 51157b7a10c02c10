/**
 * The query API's answers (README "The collector"), computed the same way on
 * both stores through their {@link SqlReader}. Attribution follows
 * identity.ts: an event with a `userId` is that user's; one without is the
 * user's its anonymous id is linked to; otherwise it is the lone anonymous id's.
 */
import { funnelQuery, principalRanges, stepKey, type PrincipalRange } from './funnel.js';
import { isMegaUser, mergeTraits } from './identity.js';
import { READ_COUNTS } from './store/schema.js';
import type { SqlReader } from './store/types.js';
import { LINKED_VISITOR_EVENTS } from './store/visitors.js';

/** Timestamps leave the API as ISO 8601 strings. */
/** A stored time in ms as ISO 8601, null kept. */
export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The anonymous ids linked to a user (`?`: the user id), for `IN (...)`. */
export const LINKED = 'SELECT anonymous_id FROM links WHERE user_id = ?';
/**
 * `company_users`: the users whose current company is `?` (three times): those
 * with a membership of it, their own or an anonymous id's, whose newest
 * membership (as {@link Queries.user} reads it, ties to the greater company
 * id) names it.
 */
const COMPANY_USERS = `candidates AS (
    SELECT subject_id AS user_id FROM memberships WHERE company_id = ? AND subject_kind = 'user'
    UNION
    SELECT l.user_id FROM memberships m JOIN links l ON l.anonymous_id = m.subject_id WHERE m.company_id = ? AND m.subject_kind = 'anon'
  ),
  candidate_memberships AS (
    SELECT c.user_id, m.company_id, m.ts FROM candidates c JOIN memberships m ON m.subject_kind = 'user' AND m.subject_id = c.user_id
    UNION ALL
    SELECT c.user_id, m.company_id, m.ts FROM candidates c JOIN links l ON l.user_id = c.user_id
      JOIN memberships m ON m.subject_kind = 'anon' AND m.subject_id = l.anonymous_id
  ),
  company_users AS (
    SELECT user_id FROM candidates c WHERE (
      SELECT company_id FROM candidate_memberships cm WHERE cm.user_id = c.user_id ORDER BY ts DESC, company_id DESC LIMIT 1) = ?
  )`;

/** Every event of a user: its own, and the unattributed ones of its anonymous ids (disjoint sets). */
const USER_EVENTS = (columns: string, where = '') => `
  SELECT ${columns} FROM events WHERE user_id = ? ${where}
  UNION ALL
  SELECT ${columns} FROM events WHERE ${LINKED_VISITOR_EVENTS} ${where}`;

/** The columns of an {@link EventRow}. */
export const EVENT_COLUMNS = 'seq, ts, original_ts, received_at, source, body';

export interface UserProfile {
  userId: string;
  anonymousIds: string[];
  companyId: string | null;
  traits: Record<string, unknown>;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  /** Events per source: `web` (browser and device libraries) and `api` (servers); see source.ts. */
  sources: { web: number; api: number };
  /** `mega-user` when more anonymous ids than the limit were linked within the window. */
  flags: string[];
}

/** A stored event as the API shows it: the message as received plus the collector's fields. */
export type EventOut = Record<string, unknown> & {
  messageId: string;
  timestamp: string;
  originalTimestamp: string | null;
  receivedAt: string;
  source: 'web' | 'api';
};

/** A page of a timeline. Pass `after` (or `before`) back to get the next (or previous) page. */
export interface Timeline {
  userId: string;
  events: EventOut[];
  /** Cursor for the newer events after this page; null when there are none. */
  after: string | null;
  /** Cursor for the older events before this page; null when there are none. */
  before: string | null;
}

export interface CompanyProfile {
  companyId: string;
  traits: Record<string, unknown>;
  userIds: string[];
  eventCount: number;
}

export interface Stats {
  events: number;
  users: number;
  identifiedUsers: number;
  anonymousVisitors: number;
}

/** A refused link (store/apply.ts ConflictReason). */
export interface Conflict {
  anonymousId: string;
  /** The user the anonymous id stays linked to; null for an unverified claim. */
  userId: string | null;
  attemptedUserId: string;
  at: string;
  /** `relinked`: the anonymous id was another user's already; `unverified`: a browser named the user without a valid identity token. */
  reason: 'relinked' | 'unverified';
}

/** A position in a timeline: event time and sequence number. */
export interface Cursor {
  ts: number;
  seq: number;
}

/** `<ts>_<seq>`, opaque to clients. */
export const formatCursor = (c: Cursor): string => `${c.ts}_${c.seq}`;

/** Reads a cursor; null when it is not one. */
export function parseCursor(text: string): Cursor | null {
  const match = /^(-?\d{1,16})_(\d{1,16})$/.exec(text);
  return match ? { ts: Number(match[1]), seq: Number(match[2]) } : null;
}

/** A stored event as the queries read it. */
export interface EventRow {
  seq: number;
  ts: number;
  original_ts: number | null;
  received_at: number;
  source: 'web' | 'api';
  body: string;
}

/** A stored event as the API shows it. */
export function eventOut(row: EventRow): EventOut {
  const message = JSON.parse(row.body) as Record<string, unknown>;
  return {
    ...message,
    messageId: message.messageId as string,
    timestamp: iso(row.ts)!,
    originalTimestamp: iso(row.original_ts),
    receivedAt: iso(row.received_at)!,
    source: row.source,
  };
}

export interface QueryOptions {
  megaUserLimit: number;
  megaUserWindowMs: number;
  /** The store's SQL, where a query is written for each (the funnel). @default 'sqlite' */
  dialect?: 'sqlite' | 'postgres';
}

export class Queries {
  constructor(private readonly db: SqlReader, private readonly options: QueryOptions) {}

  private async userExists(userId: string): Promise<boolean> {
    return (await this.db.get('SELECT user_id FROM users WHERE user_id = ?', [userId])) !== undefined;
  }

  /** The company a user belongs to: its newest membership, its own or one of its anonymous ids'. */
  private async companyOf(userId: string): Promise<string | null> {
    const row = await this.db.get<{ company_id: string }>(
      `SELECT company_id FROM (
         SELECT company_id, ts FROM memberships WHERE subject_kind = 'user' AND subject_id = ?
         UNION ALL
         SELECT company_id, ts FROM memberships WHERE subject_kind = 'anon' AND subject_id IN (${LINKED})
       ) m ORDER BY ts DESC, company_id DESC LIMIT 1`,
      [userId, userId],
    );
    return row?.company_id ?? null;
  }

  private async userCounts(userId: string) {
    return (await this.db.get<{ n: number; first: number | null; last: number | null; web: number | null }>(
      `SELECT COUNT(*) AS n, MIN(ts) AS first, MAX(ts) AS last, SUM(CASE WHEN source = 'web' THEN 1 ELSE 0 END) AS web
       FROM (${USER_EVENTS('ts, source')}) e`,
      [userId, userId],
    ))!;
  }

  /** `GET /v1/users/:userId`; null for an unknown user. */
  async user(userId: string): Promise<UserProfile | null> {
    if (!(await this.userExists(userId))) return null;
    const links = await this.db.all<{ anonymous_id: string; linked_at: number }>(
      'SELECT anonymous_id, linked_at FROM links WHERE user_id = ? ORDER BY linked_at, anonymous_id', [userId]);
    const traitRows = await this.db.all<{ key: string; value: string; ts: number }>(
      `SELECT key, value, ts FROM traits WHERE subject_kind = 'user' AND subject_id = ?
       UNION ALL
       SELECT key, value, ts FROM traits WHERE subject_kind = 'anon' AND subject_id IN (${LINKED})`,
      [userId, userId]);
    const counts = await this.userCounts(userId);
    const mega = isMegaUser(links.map((l) => l.linked_at), this.options.megaUserLimit, this.options.megaUserWindowMs);
    return {
      userId,
      anonymousIds: links.map((l) => l.anonymous_id),
      companyId: await this.companyOf(userId),
      traits: mergeTraits(traitRows),
      firstSeen: iso(counts.first),
      lastSeen: iso(counts.last),
      eventCount: counts.n,
      sources: { web: counts.web ?? 0, api: counts.n - (counts.web ?? 0) },
      flags: mega ? ['mega-user'] : [],
    };
  }

  /**
   * `GET /v1/users/:userId/events`: the stitched timeline, oldest first,
   * `limit` events after the `after` cursor, or the last `limit` before the
   * `before` cursor. Null for an unknown user.
   */
  async timeline(userId: string, page: { limit: number; after?: Cursor; before?: Cursor }): Promise<Timeline | null> {
    if (!(await this.userExists(userId))) return null;
    const backwards = page.before !== undefined;
    const cursor = page.before ?? page.after ?? { ts: Number.MIN_SAFE_INTEGER, seq: -1 };
    const op = backwards ? '<' : '>';
    const where = `AND (ts ${op} ? OR (ts = ? AND seq ${op} ?))`;
    const order = backwards ? 'ts DESC, seq DESC' : 'ts, seq';
    const rows = await this.db.all<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM (${USER_EVENTS(EVENT_COLUMNS, where)}) e ORDER BY ${order} LIMIT ?`,
      [userId, cursor.ts, cursor.ts, cursor.seq, userId, cursor.ts, cursor.ts, cursor.seq, page.limit + 1],
    );
    const more = rows.length > page.limit;
    const shown = rows.slice(0, page.limit);
    if (backwards) shown.reverse();
    const first = shown[0];
    const last = shown[shown.length - 1];
    const cursorOf = (row: EventRow | undefined) => (row ? formatCursor({ ts: row.ts, seq: row.seq }) : null);
    return {
      userId,
      events: shown.map(eventOut),
      after: backwards ? cursorOf(last) : more ? cursorOf(last) : null,
      before: backwards ? (more ? cursorOf(first) : null) : page.after ? cursorOf(first) : null,
    };
  }

  /** `GET /v1/anonymous/:anonymousId`; null for an id never seen. */
  async anonymous(anonymousId: string): Promise<{ anonymousId: string; userId: string | null } | null> {
    const row = await this.db.get<{ user_id: string | null }>(
      'SELECT l.user_id FROM anonymous_ids a LEFT JOIN links l ON l.anonymous_id = a.anonymous_id WHERE a.anonymous_id = ?',
      [anonymousId]);
    return row ? { anonymousId, userId: row.user_id ?? null } : null;
  }

  /**
   * `GET /v1/companies/:companyId`: its traits, the users whose current
   * company it is, and all their events (web and API) plus those of anonymous
   * members not linked to a user. Null for an unknown company. Four queries
   * whatever the company's size.
   */
  async company(companyId: string): Promise<CompanyProfile | null> {
    if (!(await this.db.get('SELECT company_id FROM companies WHERE company_id = ?', [companyId]))) return null;
    const traitRows = await this.db.all<{ key: string; value: string; ts: number }>(
      "SELECT key, value, ts FROM traits WHERE subject_kind = 'company' AND subject_id = ?", [companyId]);
    const users = await this.db.all<{ user_id: string }>(`WITH ${COMPANY_USERS} SELECT user_id FROM company_users ORDER BY user_id`, [companyId, companyId, companyId]);
    // The users' and the lone members' event counts as the ingest transactions keep them (people.ts), not a count of
    // their events: a company of 400 users at 10 M events read 100,000 index entries.
    const count = await this.db.get<{ n: number }>(
      `WITH ${COMPANY_USERS}
       SELECT COALESCE((SELECT SUM(a.events) FROM people_activity a WHERE a.kind = 'user' AND a.id IN (SELECT user_id FROM company_users)), 0)
            + COALESCE((SELECT SUM(a.events) FROM memberships m JOIN people_activity a ON a.kind = 'anon' AND a.id = m.subject_id
                 WHERE m.company_id = ? AND m.subject_kind = 'anon'
                 AND NOT EXISTS (SELECT 1 FROM links l WHERE l.anonymous_id = m.subject_id)), 0) AS n`,
      [companyId, companyId, companyId, companyId]);
    return { companyId, traits: mergeTraits(traitRows), userIds: users.map((u) => u.user_id), eventCount: Number(count?.n ?? 0) };
  }

  /** `GET /v1/stats`: a visitor whose anonymous id was identified counts once, as the user. */
  async stats(): Promise<Stats> {
    // The counters each ingest transaction keeps (see schema.ts), not a count of whole tables.
    const row = (await (this.db.quick ?? this.db).get<{ events: number; users: number; anonymous_ids: number; linked_anonymous_ids: number }>(READ_COUNTS))!;
    const anonymous = row.anonymous_ids - row.linked_anonymous_ids;
    return { events: row.events, users: row.users + anonymous, identifiedUsers: row.users, anonymousVisitors: anonymous };
  }

  /**
   * `GET /v1/funnel`: stitched users (web and API together) per step, from
   * the first times kept as events land (funnel.ts): the steps' ids, then
   * statements that read their rows, never the events: one per range of
   * principals, as many as the store runs at once, added up. Steps must be
   * distinct.
   */
  async funnel(steps: readonly string[], withinMs: number | null): Promise<{ step: string; users: number }[]> {
    const keys = steps.map(stepKey);
    const [rows, ranges] = await Promise.all([
      this.db.all<{ id: number; key: string }>(`SELECT id, key FROM step_ids WHERE key IN (${keys.map(() => '?').join(', ')})`, keys),
      this.principalRanges(),
    ]);
    const ids = new Map(rows.map((r) => [r.key, Number(r.id)]));
    // A step nobody did yet: no one reaches it, nor any after it.
    const known = keys.findIndex((key) => !ids.has(key));
    const counted = known === -1 ? keys : keys.slice(0, known);
    const totals = steps.map(() => 0);
    if (counted.length) {
      const stepIds = counted.map((key) => ids.get(key)!);
      const parts = await Promise.all(ranges.map((range) => {
        const { sql, params } = funnelQuery(stepIds, withinMs, this.options.dialect, range);
        return this.db.get<Record<string, number>>(sql, params);
      }));
      for (const part of parts) counted.forEach((_, k) => { totals[k]! += Number(part![`s${k}`]); });
    }
    return steps.map((step, k) => ({ step, users: totals[k]! }));
  }

  /**
   * The principals in as many ranges as the store runs queries at once but
   * one, which stays free for the dashboard's other reads (the chart, the
   * People list; the stats have a lane of their own). Each
   * part reads its own snapshot: while links land, a principal merged
   * between two parts' reads may count in both or in neither, as in a count
   * taken a moment earlier or later; once writes pause the sum is exact.
   */
  private async principalRanges(): Promise<PrincipalRange[]> {
    const parts = (this.db.concurrency ?? 1) - 1;
    if (parts <= 1) return principalRanges(0, 0, 1);
    const ids = await this.db.get<{ min: number | null; max: number | null }>('SELECT min(id) AS min, max(id) AS max FROM principal_ids');
    return principalRanges(Number(ids?.min ?? 0), Number(ids?.max ?? 0), parts);
  }

  /** `GET /v1/conflicts`: refused re-links, oldest first, `limit` after the `after` cursor (a sequence number). */
  async conflicts(page: { limit: number; after: number }): Promise<{ conflicts: Conflict[]; after: string | null }> {
    const rows = await this.db.all<{ seq: number; anonymous_id: string; user_id: string; attempted_user_id: string; at: number; reason: Conflict['reason'] }>(
      'SELECT seq, anonymous_id, user_id, attempted_user_id, at, reason FROM conflicts WHERE seq > ? ORDER BY seq LIMIT ?',
      [page.after, page.limit + 1]);
    const shown = rows.slice(0, page.limit);
    return {
      conflicts: shown.map((r) => ({
        anonymousId: r.anonymous_id, userId: r.user_id || null, attemptedUserId: r.attempted_user_id, at: iso(r.at)!, reason: r.reason,
      })),
      after: rows.length > page.limit ? String(shown[shown.length - 1]!.seq) : null,
    };
  }
}
