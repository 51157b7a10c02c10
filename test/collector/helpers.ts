/**
 * Shared test harness: collectors on either store (a SQLite file in a temp
 * directory, or a fresh database on a real PostgreSQL started once per file),
 * closed after each test, plus message builders.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import { createCollector, type Collector, type CollectorOptions, type Stats } from '../../src/collector/index.js';
import type { TestPostgres } from '../support/postgres.js';
import { testPostgres } from '../support/testPostgres.js';
import { random } from './fuzz.js';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

export interface Harness {
  /** A new collector on a new, empty store of that kind. */
  collector(kind: StoreKind, options?: CollectorOptions): Promise<Collector>;
  /** A new, empty database location of that kind (file path or URL). */
  database(kind: StoreKind): Promise<string>;
  /** A temp directory removed after the file. */
  readonly dir: string;
}

/** Call once at the top of a test file. */
export function useHarness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'idstitch-collector-test-'));
  let postgres: Promise<TestPostgres> | undefined;
  let open: Collector[] = [];
  let files = 0;

  afterEach(async () => {
    await Promise.all(open.map((c) => c.close()));
    open = [];
  });
  afterAll(async () => {
    if (postgres) await (await postgres).stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const database = async (kind: StoreKind) => {
    if (kind === 'sqlite') return join(dir, `store-${++files}.db`);
    postgres ??= testPostgres();
    return (await postgres).createDatabase();
  };
  return {
    dir,
    database,
    async collector(kind, options = {}) {
      const collector = await createCollector({ logLevel: 'silent', database: await database(kind), ...options });
      open.push(collector);
      return collector;
    },
  };
}

let clock = Date.parse('2024-05-01T12:00:00.000Z');
/** Distinct, increasing event times, so timeline order is predictable. */
export function nextTime(stepMs = 1000): string {
  clock += stepMs;
  return new Date(clock).toISOString();
}

export type Msg = Record<string, unknown>;

/** A valid browser message of `type` with a fresh messageId; `fields` override. */
export function msg(type: string, fields: Msg = {}): Msg {
  const library = { name: 'idstitch', version: '0.1.0' };
  return { type, messageId: randomUUID(), timestamp: nextTime(), context: { library }, ...fields };
}

export const page = (anonymousId: string, fields: Msg = {}) => msg('page', { anonymousId, properties: {}, ...fields });
export const track = (ids: { anonymousId?: string; userId?: string }, event: string, fields: Msg = {}) => msg('track', { ...ids, event, properties: {}, ...fields });
export const identify = (anonymousId: string | undefined, userId: string, traits: Msg = {}, fields: Msg = {}) =>
  msg('identify', { anonymousId, userId, traits, ...fields });
export const group = (ids: { anonymousId?: string; userId?: string }, groupId: string, traits: Msg = {}) => msg('group', { ...ids, groupId, traits });
/** A server-side API call (README "Wire format"). */
export const apiCall = (ids: { anonymousId?: string; userId?: string }, fields: Msg = {}) =>
  msg('track', { ...ids, event: 'API Call', properties: { method: 'GET', route: '/x', path: '/x', status: 200, durationMs: 3 }, context: { library: { name: 'idstitch-node', version: '0.1.0' } }, ...fields });

/** POSTs a batch through fastify.inject; returns status and parsed JSON. */
export async function send(c: Collector, messages: Msg[], extra: Msg = {}, headers: Record<string, string> = {}) {
  const response = await c.app.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ batch: messages, sentAt: new Date().toISOString(), ...extra }) });
  return { status: response.statusCode, body: response.json() as Record<string, unknown>, headers: response.headers };
}

/** GETs a query path; returns status and parsed JSON. */
export async function get<T = Record<string, any>>(c: Collector, url: string): Promise<{ status: number; body: T }> {
  const response = await c.app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: response.json() as T };
}

/**
 * How many times a SQLite file's WAL has started over: its header's checkpoint
 * sequence number (https://www.sqlite.org/fileformat.html#the_write_ahead_log),
 * which SQLite counts up each time the WAL is written from its start again.
 */
export function walRestarts(database: string): number {
  let fd: number;
  try {
    fd = openSync(`${database}-wal`, 'r');
  } catch {
    return 0; // no WAL (yet, or a clean stop removed it)
  }
  try {
    const header = Buffer.alloc(32);
    return readSync(fd, header, 0, 32, 0) === 32 ? header.readUInt32BE(12) : 0;
  } finally {
    closeSync(fd);
  }
}

/** The stats as whole-table counts: what `/v1/stats` answered before it kept counters, and must still equal. */
export async function tableCounts(c: Collector): Promise<Stats> {
  const row = (await c.store.reader.get<{ events: number; identified: number; anonymous: number }>(
    `SELECT (SELECT COUNT(*) FROM events) AS events, (SELECT COUNT(*) FROM users) AS identified,
            (SELECT COUNT(*) FROM anonymous_ids a WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.anonymous_id = a.anonymous_id)) AS anonymous`))!;
  return { events: row.events, users: row.identified + row.anonymous, identifiedUsers: row.identified, anonymousVisitors: row.anonymous };
}

/** Sends the messages in random batches of 1 to `maxBatch`, `parallel` at once, so writes coalesce and (on PostgreSQL) race; each answer must be 200. */
export async function sendInRandomBatches(c: Collector, messages: readonly Msg[], seed: number, maxBatch = 25, parallel = 6): Promise<void> {
  const rand = random(seed);
  const batches: Msg[][] = [];
  for (let i = 0; i < messages.length;) {
    const size = 1 + Math.floor(rand() * maxBatch);
    batches.push(messages.slice(i, i + size));
    i += size;
  }
  for (let i = 0; i < batches.length; i += parallel) {
    const answers = await Promise.all(batches.slice(i, i + parallel).map((batch) => send(c, batch)));
    for (const answer of answers) expect(answer.status).toBe(200);
  }
}

/**
 * Statements that take a database of the current schema back to version 10:
 * no visitor numbers (src/collector/store/visitors.ts), events indexed by
 * anonymous id. Tests of older upgrades rewind through it.
 */
export function rewindToVersion10(kind: StoreKind): string[] {
  const events = [
    'DROP INDEX events_visitor',
    'ALTER TABLE events DROP COLUMN visitor',
    'CREATE INDEX events_anonymous ON events (anonymous_id, ts, seq) WHERE user_id IS NULL',
  ];
  const version = "UPDATE idstitch_meta SET value = '10' WHERE key = 'schema_version'";
  if (kind === 'postgres') return ['DROP FUNCTION register_visitors', ...events, 'ALTER TABLE anonymous_ids DROP COLUMN visitor', version];
  return [
    ...events,
    'CREATE TABLE anonymous_ids_v10 (anonymous_id TEXT PRIMARY KEY, first_seen INTEGER NOT NULL)',
    'INSERT INTO anonymous_ids_v10 SELECT anonymous_id, first_seen FROM anonymous_ids',
    'DROP TABLE anonymous_ids',
    'ALTER TABLE anonymous_ids_v10 RENAME TO anonymous_ids',
    version,
  ];
}
