/**
 * The People directory's lists (README "People"): `GET /v1/users`,
 * `GET /v1/companies` and `GET /v1/anonymous`, read from the summary rows
 * of people.ts through the store's {@link SqlReader} (SQLite's reader
 * threads, PostgreSQL's read pool, with their time limits), each page one
 * index range plus one lookup for the page's own rows.
 */
import { iso } from './query.js';
import { shownValue } from './people.js';
import { INDEXED_ROWS } from './store/peopleSchema.js';
import { foldCase, jsonPrefix, prefixRange } from './textPrefix.js';
import type { SqlReader } from './store/types.js';

/** Timestamps leave the API as ISO 8601 strings. */

/** A user as the list shows it. */
export interface UserListing {
  userId: string;
  /** The newest `displayName` trait (a string as it is, any other value as its JSON); null when none. */
  displayName: string | null;
  /** The newest `email` trait, likewise. */
  email: string | null;
  companyId: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  anonymousIds: string[];
}

/** An anonymous visitor not yet identified. */
export interface AnonymousListing {
  anonymousId: string;
  companyId: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
}

export interface CompanyListing {
  companyId: string;
  /** The newest `name` trait; null when none. */
  name: string | null;
  /** Users whose current company it is (as `GET /v1/companies/:companyId` lists them). */
  userCount: number;
}

/** A page of a list; pass `after` back for the next one (null: this was the last). */
export type Page<K extends string, T> = { [key in K]: T[] } & { after: string | null };

/** Where a list page starts: after this row. */
export type ListCursor = { lastSeen: number; id: string } | { id: string };

const encodeId = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

/** A cursor as the API gives it: opaque, `<lastSeen>.<id in base64url>` or `<id in base64url>`. */
export function formatListCursor(cursor: ListCursor): string {
  return 'lastSeen' in cursor ? `${cursor.lastSeen}.${encodeId(cursor.id)}` : encodeId(cursor.id);
}

/** Reads a cursor of a list ordered by time (`timed`) or by id; null when it is not one. */
export function parseListCursor(text: string, timed: boolean): ListCursor | null {
  const match = timed ? /^(-?\d{1,16})\.([A-Za-z0-9_-]*)$/.exec(text) : /^()([A-Za-z0-9_-]+)$/.exec(text);
  if (!match) return null;
  const id = Buffer.from(match[2]!, 'base64url').toString('utf8');
  // base64url decoding skips what is not base64: the id must encode back to the same text.
  if (encodeId(id) !== match[2]) return null;
  return timed ? { lastSeen: Number(match[1]), id } : { id };
}

/**
 * The rows whose folded column starts with the folded query, as SQL over an
 * index range (never a pattern); `row` qualifies the columns (`p.`).
 */
function startsWith(column: keyof typeof INDEXED_ROWS, folded: string, params: unknown[], row: string): string {
  const { from, to } = prefixRange(folded);
  params.push(from);
  if (to === null) return `${row}${INDEXED_ROWS[column]} AND lower(${row}${column}) >= ?`;
  params.push(to);
  return `${row}${INDEXED_ROWS[column]} AND lower(${row}${column}) >= ? AND lower(${row}${column}) < ?`;
}

/** A search's conditions, one per column it matches (the id, and the kept trait texts, JSON, of `fields`), each with its parameters. */
function searchTerms(query: string, fields: readonly ('name' | 'email')[], row = ''): { sql: string; params: unknown[] }[] {
  const folded = foldCase(query);
  return [['id', folded] as const, ...fields.map((field) => [field, jsonPrefix(folded)] as const)].map(([column, prefix]) => {
    const params: unknown[] = [];
    return { sql: startsWith(column, prefix, params, row), params };
  });
}

/**
 * Past this many rows matching one column, a search walks the list's own
 * order and keeps the matches (they are common, so a page fills soon);
 * below it, it reads the matches from the columns' indexes and sorts them.
 * The planner cannot tell the two apart without statistics (SQLite keeps
 * none here), and each is slow where the other is fast: walking the order
 * for a rare prefix reads every row.
 */
export const FEW_MATCHES = 1000;

/** True when each term matches fewer than {@link FEW_MATCHES} rows of the kind: each counted up to that many, along its index. */
async function fewMatches(db: SqlReader, kind: string, terms: readonly { sql: string; params: unknown[] }[]): Promise<boolean> {
  const counts = terms.map((t) => `(SELECT COUNT(*) FROM (SELECT 1 FROM people WHERE kind = ? AND ${t.sql} LIMIT ${FEW_MATCHES}) m)`);
  const row = await db.get<Record<string, number>>(`SELECT ${counts.map((count, i) => `${count} AS n${i}`).join(', ')}`, terms.flatMap((t) => [kind, ...t.params]));
  return terms.every((_, i) => Number(row?.[`n${i}`]) < FEW_MATCHES);
}

/**
 * The rows of the kind that match a search, as a FROM clause and its
 * conditions over the list's rows (`activity`: `people_activity a`, or
 * `people p`): the ids the terms' index ranges give, each row then found by
 * its key (few matches; SQLite keeps the order of a CROSS JOIN), or the
 * terms as a filter on the list's own order (many).
 */
async function searched(db: SqlReader, kind: string, query: string, fields: readonly ('name' | 'email')[], list: 'activity' | 'people', params: unknown[]): Promise<{ from: string; where: string[] }> {
  const [table, row] = list === 'activity' ? ['people_activity a', 'a'] : ['people p', 'p'];
  const terms = searchTerms(query, fields);
  if (await fewMatches(db, kind, terms)) {
    params.push(...terms.flatMap((t) => [kind, ...t.params]), kind);
    const ids = terms.map((t) => `SELECT id FROM people WHERE kind = ? AND ${t.sql}`).join(' UNION ');
    return { from: `(${ids}) m CROSS JOIN ${table}`, where: [`${row}.kind = ?`, `${row}.id = m.id`] };
  }
  const filter = searchTerms(query, fields, list === 'activity' ? 's.' : '');
  params.push(kind, ...filter.flatMap((t) => t.params));
  const matches = `(${filter.map((t) => `(${t.sql})`).join(' OR ')})`;
  if (list === 'people') return { from: table, where: ['p.kind = ?', matches] };
  // Each row's match in a scalar subquery, which PostgreSQL never turns into a join: without statistics (a
  // freshly written table) it planned a join of the two tables as a hash join of every row and a sort.
  return { from: table, where: ['a.kind = ?', `(SELECT ${matches} FROM people s WHERE s.kind = a.kind AND s.id = a.id)`] };
}

interface TimedRow {
  id: string;
  first_seen: number | null;
  last_seen: number;
  events: number;
  name: string | null;
  email: string | null;
  company_id: string | null;
}

type Fields = Pick<TimedRow, 'name' | 'email' | 'company_id'>;
const NO_FIELDS: Fields = { name: null, email: null, company_id: null };

export class Directory {
  constructor(private readonly db: SqlReader) {}

  /**
   * Rows of one kind with events, newest `last_seen` first (ties: greater
   * id first), `limit` after the cursor: an index range of the activity
   * (schema version 10, store/peopleSchema.ts), then the page's `people`
   * rows by key (a visitor has none until it has a name, email or company).
   */
  private async timed(kind: 'user' | 'anon', page: { limit: number; after?: ListCursor; query?: string }) {
    const params: unknown[] = [];
    const { from, where } = page.query
      ? await searched(this.db, kind, page.query, ['name', 'email'], 'activity', params)
      : { from: 'people_activity a', where: ['a.kind = ?'] };
    if (!page.query) params.push(kind);
    if (page.after && 'lastSeen' in page.after) {
      where.push('(a.last_seen, a.id) < (?, ?)');
      params.push(page.after.lastSeen, page.after.id);
    }
    params.push(page.limit + 1);
    const rows = await this.db.all<Omit<TimedRow, keyof Fields>>(
      `SELECT a.id, a.first_seen, a.last_seen, a.events FROM ${from} WHERE ${where.join(' AND ')} ORDER BY a.last_seen DESC, a.id DESC LIMIT ?`, params);
    const listed = rows.slice(0, page.limit);
    const fields = new Map<string, Fields>();
    if (listed.length) {
      const found = await this.db.all<Fields & { id: string }>(
        `SELECT id, name, email, company_id FROM people WHERE kind = ? AND id IN (${listed.map(() => '?').join(', ')})`, [kind, ...listed.map((row) => row.id)]);
      for (const row of found) fields.set(row.id, row);
    }
    const shown: TimedRow[] = listed.map((row) => ({ ...row, ...(fields.get(row.id) ?? NO_FIELDS) }));
    const last = shown[shown.length - 1];
    return { shown, after: rows.length > page.limit && last ? formatListCursor({ lastSeen: last.last_seen, id: last.id }) : null };
  }

  /** `GET /v1/users`: identified users, newest `lastSeen` first; `query` matches the start of the id, display name or email (A-Z folded). */
  async users(page: { limit: number; after?: ListCursor; query?: string }): Promise<Page<'users', UserListing>> {
    const { shown, after } = await this.timed('user', page);
    const linked = new Map<string, string[]>(shown.map((row) => [row.id, []]));
    if (shown.length) {
      const links = await this.db.all<{ user_id: string; anonymous_id: string }>(
        `SELECT user_id, anonymous_id FROM links WHERE user_id IN (${shown.map(() => '?').join(', ')}) ORDER BY linked_at, anonymous_id`,
        shown.map((row) => row.id));
      for (const link of links) linked.get(link.user_id)?.push(link.anonymous_id);
    }
    return {
      users: shown.map((row) => ({
        userId: row.id, displayName: shownValue(row.name), email: shownValue(row.email), companyId: row.company_id,
        firstSeen: iso(row.first_seen), lastSeen: iso(row.last_seen), eventCount: row.events, anonymousIds: linked.get(row.id)!,
      })),
      after,
    };
  }

  /** `GET /v1/anonymous`: visitors whose anonymous id no user was linked to, newest first. */
  async anonymous(page: { limit: number; after?: ListCursor }): Promise<Page<'anonymous', AnonymousListing>> {
    const { shown, after } = await this.timed('anon', page);
    return {
      anonymous: shown.map((row) => ({
        anonymousId: row.id, companyId: row.company_id, firstSeen: iso(row.first_seen), lastSeen: iso(row.last_seen), eventCount: row.events,
      })),
      after,
    };
  }

  /** `GET /v1/companies`: by id (A-Z folded, then as stored); `query` matches the start of the id or `name`. */
  async companies(page: { limit: number; after?: ListCursor; query?: string }): Promise<Page<'companies', CompanyListing>> {
    const params: unknown[] = [];
    const { from, where } = page.query ? await searched(this.db, 'company', page.query, ['name'], 'people', params) : { from: 'people p', where: ['p.kind = ?'] };
    if (!page.query) params.push('company');
    // In the order of the id search index, which holds only the rows this names.
    where.push(`p.${INDEXED_ROWS.id}`);
    if (page.after) {
      where.push('(lower(p.id), p.id) > (?, ?)');
      params.push(foldCase(page.after.id), page.after.id);
    }
    params.push(page.limit + 1);
    const rows = await this.db.all<{ id: string; name: string | null }>(
      `SELECT p.id, p.name FROM ${from} WHERE ${where.join(' AND ')} ORDER BY lower(p.id), p.id LIMIT ?`, params);
    const shown = rows.slice(0, page.limit);
    const counts = new Map<string, number>();
    if (shown.length) {
      const rowsCounted = await this.db.all<{ company_id: string; n: number }>(
        `SELECT company_id, COUNT(*) AS n FROM people WHERE kind = 'user' AND ${INDEXED_ROWS.company_id} AND company_id IN (${shown.map(() => '?').join(', ')}) GROUP BY company_id`,
        shown.map((row) => row.id));
      for (const row of rowsCounted) counts.set(row.company_id, Number(row.n));
    }
    const last = shown[shown.length - 1];
    return {
      companies: shown.map((row) => ({ companyId: row.id, name: shownValue(row.name), userCount: counts.get(row.id) ?? 0 })),
      after: rows.length > page.limit && last ? formatListCursor({ id: last.id }) : null,
    };
  }
}
