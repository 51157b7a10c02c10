/**
 * `GET /v1/users/:userId/export` (README "People"): everything the
 * collector holds on a user, for an access request, as NDJSON. Each line is
 * `{ "record": kind, "data": ... }`: first the profile (as
 * `GET /v1/users/:userId` answers it), then every link, membership, trait
 * row and conflict naming the user or their anonymous ids, each in time
 * order, then every event of the stitched timeline, oldest first, as
 * `GET /v1/users/:userId/events` shows them.
 *
 * The events are read in keyset pages from each of their sources (the
 * user's own events, and each linked anonymous id's unattributed ones, each
 * an index range) and merged by time, so memory stays bounded by a page per
 * source however many events there are, and the next pages are read only
 * as the client takes the lines (the stream's backpressure).
 */
import { EVENT_COLUMNS, eventOut, LINKED, type EventRow, type Queries } from './query.js';
import type { SqlReader } from './store/types.js';
import { VISITOR_EVENTS } from './store/visitors.js';

/** Events read per query once a source is under way; its first page is smaller (a user may have thousands of sources). */
const PAGE = 1000;
const FIRST_PAGE = 50;

type Line = { record: 'profile' | 'link' | 'membership' | 'trait' | 'conflict' | 'event'; data: unknown };
const line = (record: Line['record'], data: unknown) => `${JSON.stringify({ record, data } satisfies Line)}\n`;
const iso = (ms: number) => new Date(ms).toISOString();

/** One source of the timeline, read page by page. */
class Source {
  private rows: EventRow[] = [];
  private index = 0;
  private done = false;
  private cursor = { ts: Number.MIN_SAFE_INTEGER, seq: -1 };

  constructor(private readonly db: SqlReader, private readonly where: string, private readonly id: string) {}

  /** The next row without taking it; undefined once the source is empty. */
  async peek(): Promise<EventRow | undefined> {
    if (this.index < this.rows.length) return this.rows[this.index];
    if (this.done) return undefined;
    const limit = this.rows.length ? PAGE : FIRST_PAGE;
    this.rows = await this.db.all<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${this.where} AND (ts, seq) > (?, ?) ORDER BY ts, seq LIMIT ?`,
      [this.id, this.cursor.ts, this.cursor.seq, limit]);
    this.index = 0;
    if (this.rows.length < limit) this.done = true;
    const last = this.rows[this.rows.length - 1];
    if (last) this.cursor = { ts: last.ts, seq: last.seq };
    return this.rows[0];
  }

  take(): void {
    this.index++;
  }
}

const before = (a: EventRow, b: EventRow) => a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);

/** The timeline's events, oldest first: the sources merged through a binary heap of their next rows. */
async function* timelineEvents(sources: Source[]): AsyncGenerator<EventRow> {
  const heap: { row: EventRow; source: Source }[] = [];
  const push = (entry: { row: EventRow; source: Source }) => {
    heap.push(entry);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!.row, heap[parent]!.row)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const end = heap.pop()!;
    if (heap.length) {
      heap[0] = end;
      for (let i = 0; ;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < heap.length && before(heap[left]!.row, heap[least]!.row)) least = left;
        if (right < heap.length && before(heap[right]!.row, heap[least]!.row)) least = right;
        if (least === i) break;
        [heap[i], heap[least]] = [heap[least]!, heap[i]!];
        i = least;
      }
    }
    return top;
  };
  for (const source of sources) {
    const row = await source.peek();
    if (row) push({ row, source });
  }
  while (heap.length) {
    const { row, source } = pop();
    yield row;
    source.take();
    const next = await source.peek();
    if (next) push({ row: next, source });
  }
}

/**
 * The export of a user as chunks of NDJSON text (a page of lines each), or
 * null for an unknown user (checked before anything is sent, so the route
 * can still answer 404).
 */
export async function exportUser(db: SqlReader, queries: Queries, userId: string): Promise<AsyncGenerator<string> | null> {
  const profile = await queries.user(userId);
  if (!profile) return null;
  return (async function* () {
    yield line('profile', profile);
    const links = await db.all<{ anonymous_id: string; linked_at: number; message_id: string }>(
      'SELECT anonymous_id, linked_at, message_id FROM links WHERE user_id = ? ORDER BY linked_at, anonymous_id', [userId]);
    yield links.map((l) => line('link', { anonymousId: l.anonymous_id, userId, linkedAt: iso(l.linked_at), messageId: l.message_id })).join('');
    // One query a table: the user's own rows and their anonymous ids' (an index range each), oldest first.
    for (const table of ['memberships', 'traits'] as const) {
      const columns = `subject_kind, subject_id, ${table === 'memberships' ? 'company_id' : 'key, value'}, ts`;
      const rows = await db.all<{ subject_kind: string; subject_id: string; company_id?: string; key?: string; value?: string; ts: number }>(
        `SELECT ${columns} FROM ${table} WHERE subject_kind = 'user' AND subject_id = ?
         UNION ALL
         SELECT ${columns} FROM ${table} WHERE subject_kind = 'anon' AND subject_id IN (${LINKED})`,
        [userId, userId]);
      // Oldest first; ties in one order on both stores (PostgreSQL would compare ids by its locale): the user's, then by id and key.
      const order = (row: (typeof rows)[number]) => `${row.subject_kind === 'user' ? 0 : 1}${row.subject_id}\u0000${row.key ?? ''}`;
      rows.sort((a, b) => a.ts - b.ts || (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
      yield rows.map((row) => {
        const subject = { kind: row.subject_kind, id: row.subject_id };
        const at = iso(row.ts);
        return table === 'memberships'
          ? line('membership', { subject, companyId: row.company_id, at })
          : line('trait', { subject, key: row.key, value: JSON.parse(row.value!) as unknown, at });
      }).join('');
    }
    const conflicts = await db.all<{ anonymous_id: string; user_id: string; attempted_user_id: string; at: number; reason: string }>(
      `SELECT anonymous_id, user_id, attempted_user_id, at, reason FROM conflicts
       WHERE user_id = ? OR attempted_user_id = ? OR anonymous_id IN (SELECT anonymous_id FROM links WHERE user_id = ?) ORDER BY at, seq`,
      [userId, userId, userId]);
    yield conflicts.map((c) => line('conflict', {
      anonymousId: c.anonymous_id, userId: c.user_id || null, attemptedUserId: c.attempted_user_id, at: iso(c.at), reason: c.reason,
    })).join('');
    const sources = [
      new Source(db, 'user_id = ?', userId),
      ...profile.anonymousIds.map((id) => new Source(db, VISITOR_EVENTS, id)),
    ];
    let chunk = '';
    for await (const row of timelineEvents(sources)) {
      chunk += line('event', eventOut(row));
      if (chunk.length >= 64 * 1024) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  })();
}
