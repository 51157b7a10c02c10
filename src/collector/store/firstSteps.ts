/**
 * How `first_steps` (the funnel's first times, funnel.ts) is stored from
 * schema version 8: keyed by integers, a step's key (`p`, `t:<name>`) and a
 * principal's (`u:<userId>`, `a:<anonymousId>`) each given an id once, in
 * `step_ids` and `principal_ids`. Comparing and storing an integer instead
 * of a text key was half the funnel's time.
 *
 * SQLite keeps each first time under one integer, the row's own key (rowid):
 * `step id × STEP_STRIDE + principal id`. A funnel finds a principal's row of
 * another step by that number, a lookup SQLite does three times as fast as a
 * search of a two-column key (the 10 M worst case: 450 → 93 ms). PostgreSQL
 * keeps `(step, principal)`, with `ts` in the key's index, so that a funnel
 * merges the steps' index ranges, each in principal order, without a heap
 * read.
 *
 * A merge (a new link) moves an anonymous id's rows to its user; an erasure
 * deletes a principal's rows and its id row (its key holds the id erased).
 */
import type { Dialect } from './schema.js';

/** SQLite: a first time's key is its step's id times this, plus its principal's id. */
export const STEP_STRIDE = 2 ** 40;
/** SQLite: step ids stay below this, so that every key fits 63 bits (more distinct event names fail to store). */
export const MAX_STEP_ID = 2 ** 23;

/** The dictionaries and the table (the v8 shape). */
export function firstStepsTables(d: Dialect): string[] {
  if (d === 'sqlite') {
    return [
      `CREATE TABLE step_ids (id INTEGER PRIMARY KEY CHECK (id < ${MAX_STEP_ID}), key TEXT NOT NULL UNIQUE)`,
      'CREATE TABLE principal_ids (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE)',
      'CREATE TABLE first_steps (key INTEGER PRIMARY KEY, principal INTEGER NOT NULL, ts INTEGER NOT NULL)',
    ];
  }
  return [
    'CREATE TABLE step_ids (id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key TEXT NOT NULL UNIQUE)',
    'CREATE TABLE principal_ids (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key TEXT NOT NULL UNIQUE)',
    'CREATE TABLE first_steps (step INTEGER NOT NULL, principal BIGINT NOT NULL, ts BIGINT NOT NULL, PRIMARY KEY (step, principal) INCLUDE (ts))',
  ];
}

/** A merge and an erasure find a principal's rows by this index. */
export const FIRST_STEPS_BY_PRINCIPAL = 'CREATE INDEX first_steps_principal ON first_steps (principal)';

/** The step id of a row of `first_steps` aliased `f`. */
const stepOf = (d: Dialect, f = 'f') => (d === 'sqlite' ? `(${f}.key / ${STEP_STRIDE})` : `${f}.step`);

/** The first times with their text keys, for people reading the database (and the tests). */
export const firstStepsView = (d: Dialect) => `CREATE VIEW first_steps_by_key AS
  SELECT s.key AS step, p.key AS principal, f.ts FROM first_steps f
  JOIN step_ids s ON s.id = ${stepOf(d)} JOIN principal_ids p ON p.id = f.principal`;

/** Keeps the earlier time when a principal's step is already stored. */
const keepEarlier = (d: Dialect) =>
  `ON CONFLICT (${d === 'sqlite' ? 'key' : 'step, principal'}) DO UPDATE SET ts = excluded.ts WHERE excluded.ts < first_steps.ts`;

/** SQLite: one first time (`?`: step id, principal id twice, time). */
export const UPSERT_FIRST_STEP_SQLITE = `INSERT INTO first_steps (key, principal, ts) VALUES (? * ${STEP_STRIDE} + ?, ?, ?) ${keepEarlier('sqlite')}`;

/** SQLite: a principal's first times joined into another's (`?`: the other principal's id twice, this one's id). */
export const MOVE_FIRST_STEPS_SQLITE = `INSERT INTO first_steps (key, principal, ts)
  SELECT key - principal + ?, ?, ts FROM first_steps WHERE principal = ? ORDER BY key ${keepEarlier('sqlite')}`;

/** The dictionary rows of keys not yet known: `source` is a query of text keys in a column `k`. */
export const registerKeys = (table: 'step_ids' | 'principal_ids', source: string) =>
  `INSERT INTO ${table} (key) SELECT DISTINCT r.k FROM (${source}) r
   WHERE r.k IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${table} x WHERE x.key = r.k) ORDER BY r.k ON CONFLICT (key) DO NOTHING`;

/**
 * First times from candidates keyed by text (`source`: a query of columns
 * `step`, `principal`, `ts`), whose keys are registered already
 * ({@link registerKeys}); the earliest per step and principal, kept where
 * earlier than the stored one. In key order, so concurrent writers lock rows
 * in one order.
 */
export function insertFirstSteps(d: Dialect, source: string): string {
  const [columns, values] = d === 'sqlite'
    ? ['key, principal, ts', `s.id * ${STEP_STRIDE} + p.id, p.id, MIN(c.ts)`]
    : ['step, principal, ts', 's.id, p.id, MIN(c.ts)'];
  // `WHERE true`: SQLite would otherwise read the upsert's ON as the last join's.
  return `INSERT INTO first_steps (${columns})
    SELECT ${values} FROM (${source}) c JOIN step_ids s ON s.key = c.step JOIN principal_ids p ON p.key = c.principal
    WHERE true GROUP BY s.id, p.id ORDER BY s.id, p.id ${keepEarlier(d)}`;
}

/** Shared by both stores (`?`: a principal's text key). */
export const FIRST_STEPS_SQL = {
  stepId: 'SELECT id FROM step_ids WHERE key = ?',
  principalId: 'SELECT id FROM principal_ids WHERE key = ?',
  addStep: 'INSERT INTO step_ids (key) VALUES (?)',
  addPrincipal: 'INSERT INTO principal_ids (key) VALUES (?)',
  /** A principal's first times, then its id row. */
  drop: 'DELETE FROM first_steps WHERE principal = (SELECT id FROM principal_ids WHERE key = ?)',
  dropId: 'DELETE FROM principal_ids WHERE key = ?',
} as const;
