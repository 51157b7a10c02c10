/**
 * The query API (README "The collector"). When a dashboard token is configured,
 * every route here needs it (`Authorization: Bearer <token>` or `?token=`).
 */
import type { FastifyInstance } from 'fastify';
import { dashboardTokenOf, tokenMatches } from '../auth.js';
import { parseDuration } from '../duration.js';
import { badRequest, HttpError } from '../errors.js';
import { parseCursor, type Cursor, type Queries } from '../query.js';

export interface QueryRoutesOptions {
  queries: Queries;
  dashboardToken: string | null;
}

type Query = Record<string, string | undefined>;

/** Page size: `?limit=` from 1 to 1000, 100 by default. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** At most this many funnel steps. */
export const MAX_STEPS = 20;

/** `?limit=`: `fallback` when absent, else a whole number from 1 to `max` (a 400 otherwise). */
export function readLimit(query: Query, fallback = DEFAULT_LIMIT, max = MAX_LIMIT): number {
  if (query.limit === undefined) return fallback;
  const limit = Number(query.limit);
  if (!/^\d+$/.test(query.limit) || limit < 1 || limit > max) throw badRequest(`limit must be a whole number from 1 to ${max}`);
  return limit;
}

function readCursor(query: Query, name: 'after' | 'before'): Cursor | undefined {
  const text = query[name];
  if (text === undefined) return undefined;
  const cursor = parseCursor(text);
  if (!cursor) throw badRequest(`${name} must be a cursor from a previous page's "${name}"`);
  return cursor;
}

/** 404 naming what was looked for. */
export const notFound = (what: string, id: string) => new HttpError(404, `unknown ${what} ${JSON.stringify(id)}`);

/** Requires the dashboard token on every route of the instance it is added to. */
export function requireToken(app: FastifyInstance, token: string | null): void {
  if (token === null) return;
  app.addHook('onRequest', async (request, reply) => {
    if (tokenMatches(token, dashboardTokenOf(request.headers.authorization, (request.query as Query).token))) return;
    reply.header('www-authenticate', 'Bearer realm="idstitch"');
    throw new HttpError(401, 'this needs the dashboard token: Authorization: Bearer <token> or ?token=<token>');
  });
}

export async function queryRoutes(app: FastifyInstance, options: QueryRoutesOptions): Promise<void> {
  const { queries } = options;
  requireToken(app, options.dashboardToken);

  app.get<{ Params: { userId: string } }>('/v1/users/:userId', async (request) => {
    return (await queries.user(request.params.userId)) ?? Promise.reject(notFound('user', request.params.userId));
  });

  /**
   * The stitched timeline, oldest first. `?limit=` (1-1000, default 100);
   * `?after=<cursor>` for the events after a page (its `after` field), or
   * `?before=<cursor>` for the ones before it (its `before` field).
   */
  app.get<{ Params: { userId: string }; Querystring: Query }>('/v1/users/:userId/events', async (request) => {
    const after = readCursor(request.query, 'after');
    const before = readCursor(request.query, 'before');
    if (after && before) throw badRequest('pass either after or before, not both');
    const page = await queries.timeline(request.params.userId, { limit: readLimit(request.query), after, before });
    return page ?? Promise.reject(notFound('user', request.params.userId));
  });

  app.get<{ Params: { anonymousId: string } }>('/v1/anonymous/:anonymousId', async (request) => {
    return (await queries.anonymous(request.params.anonymousId)) ?? Promise.reject(notFound('anonymous id', request.params.anonymousId));
  });

  app.get<{ Params: { companyId: string } }>('/v1/companies/:companyId', async (request) => {
    return (await queries.company(request.params.companyId)) ?? Promise.reject(notFound('company', request.params.companyId));
  });

  app.get('/v1/stats', async () => queries.stats());

  /** `?steps=A,B,C` (track event names, or `page` for any page view) and optional `?within=7d` (`ms`, `s`, `m`, `h`, `d`, `w`). */
  app.get<{ Querystring: Query }>('/v1/funnel', async (request) => {
    const steps = (request.query.steps ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!steps.length) throw badRequest('steps is required: ?steps=page,Signed Up,API Call');
    if (steps.length > MAX_STEPS) throw badRequest(`steps has ${steps.length} entries; at most ${MAX_STEPS}`);
    // A step's first time is one moment: a step repeated could only ever match itself.
    const repeated = steps.find((step, i) => steps.indexOf(step) !== i);
    if (repeated !== undefined) throw badRequest(`steps names ${JSON.stringify(repeated)} twice; each step may appear once`);
    let withinMs: number | null = null;
    if (request.query.within !== undefined) {
      withinMs = parseDuration(request.query.within);
      if (withinMs === null) throw badRequest('within must be a duration such as 30m, 24h or 7d');
    }
    return { steps: await queries.funnel(steps, withinMs), within: request.query.within ?? null };
  });

  /** Refused re-links, oldest first; `?limit=` and `?after=` (the previous page's `after`). */
  app.get<{ Querystring: Query }>('/v1/conflicts', async (request) => {
    const after = request.query.after ?? '0';
    if (!/^\d{1,16}$/.test(after)) throw badRequest('after must be a cursor from a previous page');
    return queries.conflicts({ limit: readLimit(request.query), after: Number(after) });
  });
}
